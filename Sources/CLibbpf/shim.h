#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <stdarg.h>
#include <stdio.h>

// Formats one libbpf log message; Swift cannot call vsnprintf with a va_list it received.
static inline int tdp_vformat(char *buf, size_t size, const char *fmt, va_list args) {
  return vsnprintf(buf, size, fmt, args);
}
