import Testing

@Test func placeholderStackFold() {}
