import Testing

@Test func placeholderTraceParse() {}
