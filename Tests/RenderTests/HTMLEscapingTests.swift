import Testing

@testable import Render

@Suite struct HTMLEscapingTests {
  @Test func xmlEscapesMarkupQuotesAndAmpersands() {
    #expect(
      Escaping.xml("<script>alert(\"x\")</script>") == "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;")
    #expect(Escaping.xml("a & b 'c'") == "a &amp; b &#39;c&#39;")
    #expect(Escaping.xml("std::vector<int>::push_back") == "std::vector&lt;int&gt;::push_back")
    #expect(Escaping.xml("]]>") == "]]&gt;")
    #expect(Escaping.xml("plain_name") == "plain_name")
  }

  @Test func xmlReplacesCharactersXMLForbids() {
    #expect(Escaping.xml("a\u{01}b\u{FFFE}c\td") == "a\u{FFFD}b\u{FFFD}c\td")
    #expect(Escaping.xml("ok\u{F000}") == "ok\u{F000}")
  }

  @Test func jsonEscapesForScriptEmbedding() {
    #expect(Escaping.json("</script><!--") == "\"\\u003c/script\\u003e\\u003c!--\"")
    #expect(Escaping.json("a\"b\\c\nd\u{01}") == "\"a\\\"b\\\\c\\nd\\u0001\"")
    #expect(Escaping.json("x\u{2028}y&") == "\"x\\u2028y\\u0026\"")
  }

  @Test func identifiersAreInjectiveAndSafe() {
    #expect(Escaping.identifier("kvm_tdp_mmu_map") == "kvm_tdp_mmu_map")
    #expect(Escaping.identifier("<T as X>::f") == ".3cT.20as.20X.3e.3a.3af")
    #expect(Escaping.identifier("a.b") != Escaping.identifier("a_b"))
  }
}
