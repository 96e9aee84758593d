// spte-driver: makes KVM's TDP MMU change SPTEs in each way the SPTE ledger names, from user
// space (issue 16, `tdptrace record --spte`). Each iteration creates a VM with two memslots:
// slot 0 (GPA 0-128 KiB: code at 0x1000, 16 data pages at 0x10000) and slot 1 (GPA 4-8 MiB,
// backed by transparent huge pages), one vCPU in flat 32-bit protected mode, then:
//   1. runs: the vCPU writes each page of slot 1, the data pages of slot 0, and one byte at a
//      GPA no memslot holds: install leaf (2M where the host gave huge pages), link page table,
//      MMIO;
//   2. madvise(MADV_DONTNEED)s the data pages: the MMU notifier zaps them (zap leaf);
//   3. runs again on the data pages, then marks them idle through /sys/kernel/mm/page_idle (when
//      the kernel has it): the notifier's clear_young clears their Accessed bits;
//   4. enables dirty logging on slot 1 (KVM_MEM_LOG_DIRTY_PAGES): huge leaves are split (eager
//      page splitting) and write-protected;
//   5. runs again over slot 1 (the writes fault the pages writable), takes KVM_GET_DIRTY_LOG and
//      KVM_CLEAR_DIRTY_LOG (manual protection is on): the dirty pages are write-protected again;
//   6. deletes slot 1: its page tables are unlinked and their SPTEs frozen;
//   7. closes the VM.
//
// Usage: spte-driver [--quiet] ITERATIONS
// Exit status is non-zero with a message naming the ioctl when anything fails.
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE 4096u
#define HUGE (2u << 20)
#define CODE_GPA 0x1000u
#define DATA_GPA 0x10000u
#define DATA_PAGES 16u
#define LOW_SIZE 0x20000u
#define HIGH_GPA 0x400000u
#define HIGH_SIZE (4u << 20)
#define HIGH_PAGES (HIGH_SIZE / PAGE)
#define MMIO_GPA 0xf0000000u

static int quiet;

static void die(const char *what) {
  fprintf(stderr, "spte-driver: %s: %s\n", what, strerror(errno));
  exit(1);
}

__attribute__((format(printf, 1, 2))) static void say(const char *fmt, ...) {
  if (quiet) return;
  va_list ap;
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  fflush(stdout);
}

struct vm {
  int kvm, fd, vcpu;
  struct kvm_run *run;
  size_t run_size;
  uint8_t *low, *high, *high_map;
};

static void set_slot(struct vm *v, uint32_t slot, uint64_t gpa, uint64_t size, void *host, uint32_t flags) {
  struct kvm_userspace_memory_region r = {
      .slot = slot, .flags = flags, .guest_phys_addr = gpa, .memory_size = size, .userspace_addr = (uintptr_t)host};
  if (ioctl(v->fd, KVM_SET_USER_MEMORY_REGION, &r) < 0) die("KVM_SET_USER_MEMORY_REGION");
}

// Flat 32-bit code at CODE_GPA: ECX pages from ESI, one byte each; then one byte at EDI unless 0.
static void load_code(struct vm *v) {
  const uint8_t code[] = {
      0xc6, 0x06, 0x5a,                    // l: mov byte [esi], 0x5a
      0x81, 0xc6, 0x00, 0x10, 0x00, 0x00,  // add esi, 4096
      0xe2, 0xf5,                          // loop l
      0x85, 0xff,                          // test edi, edi
      0x74, 0x03,                          // jz h
      0xc6, 0x07, 0x01,                    // mov byte [edi], 1
      0xf4,                                // h: hlt
  };
  memcpy(v->low + CODE_GPA, code, sizeof code);
}

static void protected_mode(struct vm *v) {
  struct kvm_sregs s;
  if (ioctl(v->vcpu, KVM_GET_SREGS, &s) < 0) die("KVM_GET_SREGS");
  struct kvm_segment seg = {
      .base = 0, .limit = 0xffffffff, .selector = 0x10, .type = 3, .present = 1, .db = 1, .s = 1, .g = 1};
  s.ds = s.es = s.fs = s.gs = s.ss = seg;
  seg.selector = 0x8;
  seg.type = 11;
  s.cs = seg;
  s.cr0 |= 1;
  if (ioctl(v->vcpu, KVM_SET_SREGS, &s) < 0) die("KVM_SET_SREGS");
}

static void run(struct vm *v, const char *label, uint32_t start, uint32_t pages, uint32_t mmio) {
  struct kvm_regs r = {.rip = CODE_GPA, .rflags = 2, .rsi = start, .rcx = pages, .rdi = mmio};
  if (ioctl(v->vcpu, KVM_SET_REGS, &r) < 0) die("KVM_SET_REGS");
  unsigned mmio_exits = 0;
  for (;;) {
    if (ioctl(v->vcpu, KVM_RUN, 0) < 0) die("KVM_RUN");
    if (v->run->exit_reason == KVM_EXIT_HLT) break;
    if (v->run->exit_reason == KVM_EXIT_MMIO) {
      mmio_exits++;
      continue;
    }
    fprintf(stderr, "spte-driver: %s: unexpected exit_reason %u\n", label, v->run->exit_reason);
    exit(1);
  }
  say("%-34s %u pages from 0x%x, %u MMIO exits, HLT\n", label, pages, start, mmio_exits);
}

// Marks the data pages idle: the kernel clears the young bits of every mapping of each page,
// KVM's through the MMU notifier's clear_young. Needs CONFIG_IDLE_PAGE_TRACKING and root.
static void mark_idle(struct vm *v) {
  int pagemap = open("/proc/self/pagemap", O_RDONLY);
  int idle = open("/sys/kernel/mm/page_idle/bitmap", O_RDWR);
  if (pagemap < 0 || idle < 0) {
    say("page_idle: not available (%s), no aging\n", strerror(errno));
    if (pagemap >= 0) close(pagemap);
    if (idle >= 0) close(idle);
    return;
  }
  unsigned marked = 0;
  for (unsigned i = 0; i < DATA_PAGES; i++) {
    uint64_t entry = 0;
    uintptr_t page = (uintptr_t)(v->low + DATA_GPA + i * PAGE) / PAGE;
    if (pread(pagemap, &entry, sizeof entry, (off_t)(page * sizeof entry)) != sizeof entry) continue;
    if (!(entry >> 63)) continue;  // not present
    uint64_t pfn = entry & ((1ULL << 55) - 1);
    uint64_t bits = 1ULL << (pfn % 64);
    if (pwrite(idle, &bits, sizeof bits, (off_t)(pfn / 64 * sizeof bits)) == sizeof bits) marked++;
  }
  close(pagemap);
  close(idle);
  say("page_idle: %u data pages marked idle (clear_young)\n", marked);
}

static void dirty_log(struct vm *v) {
  static uint8_t bitmap[HIGH_PAGES / 8];
  struct kvm_dirty_log get = {.slot = 1, .dirty_bitmap = bitmap};
  if (ioctl(v->fd, KVM_GET_DIRTY_LOG, &get) < 0) die("KVM_GET_DIRTY_LOG");
  unsigned dirty = 0;
  for (unsigned i = 0; i < sizeof bitmap; i++) dirty += (unsigned)__builtin_popcount(bitmap[i]);
  struct kvm_clear_dirty_log clear = {.slot = 1, .num_pages = HIGH_PAGES, .first_page = 0, .dirty_bitmap = bitmap};
  if (ioctl(v->fd, KVM_CLEAR_DIRTY_LOG, &clear) < 0) die("KVM_CLEAR_DIRTY_LOG");
  say("dirty log: %u of %u pages dirty, cleared (write-protect)\n", dirty, HIGH_PAGES);
}

static unsigned long anon_huge_kb(void) {
  FILE *f = fopen("/proc/self/smaps_rollup", "r");
  char line[256];
  unsigned long kb = 0;
  if (!f) return 0;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "AnonHugePages: %lu kB", &kb) == 1) break;
  fclose(f);
  return kb;
}

static void iteration(int kvm) {
  struct vm v = {.kvm = kvm};
  v.fd = ioctl(kvm, KVM_CREATE_VM, 0);
  if (v.fd < 0) die("KVM_CREATE_VM");
  // Manual protection, so KVM_CLEAR_DIRTY_LOG is the call that write-protects (not initially set:
  // enabling the log splits and protects at once).
  struct kvm_enable_cap cap = {.cap = KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, .args = {KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE}};
  if (ioctl(v.fd, KVM_ENABLE_CAP, &cap) < 0) die("KVM_ENABLE_CAP(MANUAL_DIRTY_LOG_PROTECT2)");
  v.low = mmap(NULL, LOW_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (v.low == MAP_FAILED) die("mmap slot 0");
  // 2 MiB-aligned host memory, as huge pages where the kernel has them, so KVM maps 2M leaves.
  v.high_map = mmap(NULL, HIGH_SIZE + HUGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (v.high_map == MAP_FAILED) die("mmap slot 1");
  v.high = (uint8_t *)(((uintptr_t)v.high_map + HUGE - 1) & ~(uintptr_t)(HUGE - 1));
  if (madvise(v.high, HIGH_SIZE, MADV_HUGEPAGE) < 0) say("madvise(MADV_HUGEPAGE): %s\n", strerror(errno));
  memset(v.high, 1, HIGH_SIZE);
  say("slot 1 host memory: %lu kB in transparent huge pages\n", anon_huge_kb());
  load_code(&v);
  set_slot(&v, 0, 0, LOW_SIZE, v.low, 0);
  set_slot(&v, 1, HIGH_GPA, HIGH_SIZE, v.high, 0);
  v.vcpu = ioctl(v.fd, KVM_CREATE_VCPU, 0);
  if (v.vcpu < 0) die("KVM_CREATE_VCPU");
  v.run_size = (size_t)ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
  v.run = mmap(NULL, v.run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v.vcpu, 0);
  if (v.run == MAP_FAILED) die("mmap kvm_run");
  protected_mode(&v);

  run(&v, "1. install: slot 1, MMIO", HIGH_GPA, HIGH_PAGES, MMIO_GPA);
  run(&v, "1. install: slot 0 data", DATA_GPA, DATA_PAGES, 0);
  if (madvise(v.low + DATA_GPA, DATA_PAGES * PAGE, MADV_DONTNEED) < 0) die("madvise(MADV_DONTNEED)");
  say("2. madvise(DONTNEED) %u data pages (zap leaf)\n", DATA_PAGES);
  run(&v, "3. re-fault: slot 0 data", DATA_GPA, DATA_PAGES, 0);
  mark_idle(&v);
  set_slot(&v, 1, HIGH_GPA, HIGH_SIZE, v.high, KVM_MEM_LOG_DIRTY_PAGES);
  say("4. dirty logging on slot 1 (split, write-protect)\n");
  run(&v, "5. write: slot 1", HIGH_GPA, HIGH_PAGES, 0);
  dirty_log(&v);
  set_slot(&v, 1, HIGH_GPA, 0, v.high, 0);
  say("6. slot 1 deleted (unlink page tables, freeze)\n");
  munmap(v.run, v.run_size);
  close(v.vcpu);
  close(v.fd);
  munmap(v.low, LOW_SIZE);
  munmap(v.high_map, HIGH_SIZE + HUGE);
  say("7. VM closed\n");
}

int main(int argc, char **argv) {
  int i = 1;
  if (i < argc && !strcmp(argv[i], "--quiet")) {
    quiet = 1;
    i++;
  }
  if (argc - i != 1) {
    fprintf(stderr, "usage: spte-driver [--quiet] ITERATIONS\n");
    return 2;
  }
  long iters = strtol(argv[i], NULL, 10);
  if (iters < 1) {
    fprintf(stderr, "spte-driver: ITERATIONS must be >= 1\n");
    return 2;
  }
  int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
  if (kvm < 0) die("open /dev/kvm");
  for (long n = 0; n < iters; n++) iteration(kvm);
  printf("spte-driver: done %ld iterations\n", iters);
  return 0;
}
