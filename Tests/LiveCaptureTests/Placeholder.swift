import Testing

@Test func placeholderLiveCapture() {}
