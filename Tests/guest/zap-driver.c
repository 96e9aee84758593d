// zap-driver: drives every TDP MMU zap path of KVM from user space.
//
// Each iteration creates a VM with one memslot and one vCPU, then:
//   1. runs the vCPU: real-mode code writes one byte to each of PAGES pages and halts, so every
//      page faults through kvm_mmu_page_fault -> direct_page_fault -> kvm_tdp_mmu_map;
//   2. madvise(MADV_DONTNEED)s the data pages: the MMU notifier unmaps them
//      (kvm_mmu_notifier_invalidate_range_start -> kvm_tdp_mmu_unmap_gfn_range -> zap leafs);
//   3. runs again, re-faulting the pages;
//   4. deletes the memslot (kvm_arch_flush_shadow_memslot -> kvm_mmu_zap_all_fast: roots are
//      invalidated and zapped) and adds it back;
//   5. runs again on a new root (kvm_mmu_load -> kvm_tdp_mmu_get_vcpu_root_hpa);
//   6. closes the vCPU and the VM (kvm_mmu_notifier_release -> kvm_tdp_mmu_zap_all, put root).
// With --plain it only creates, runs once and closes: the plain VM loop.
//
// Usage: zap-driver [--plain] [--quiet] ITERATIONS PAGES
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
#include <time.h>
#include <unistd.h>

#define CODE_GPA 0x1000u
#define DATA_GPA 0x10000u
#define PAGE 4096u

static int quiet;

static void die(const char *what) {
  fprintf(stderr, "zap-driver: %s: %s\n", what, strerror(errno));
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
  uint8_t *mem;
  size_t mem_size;
};

static void set_slot(struct vm *v, uint64_t size) {
  struct kvm_userspace_memory_region r = {
      .slot = 0, .guest_phys_addr = 0, .memory_size = size, .userspace_addr = (uintptr_t)v->mem};
  if (ioctl(v->fd, KVM_SET_USER_MEMORY_REGION, &r) < 0) die("KVM_SET_USER_MEMORY_REGION");
}

// Real mode at CS:IP = 0:CODE_GPA. For each page: ES = page >> 4; mov byte es:[0], 0x5a.
static void load_code(struct vm *v, unsigned pages) {
  const uint8_t code[] = {
      0xb8, DATA_GPA >> 4 & 0xff, DATA_GPA >> 12 & 0xff,  // mov ax, DATA_GPA >> 4
      0xb9, pages & 0xff, pages >> 8 & 0xff,             // mov cx, pages
      0x8e, 0xc0,                                        // l: mov es, ax
      0x26, 0xc6, 0x06, 0x00, 0x00, 0x5a,                // mov byte es:[0], 0x5a
      0x05, 0x00, 0x01,                                  // add ax, 0x100 (next page)
      0xe2, 0xf3,                                        // loop l
      0xf4,                                              // hlt
  };
  memcpy(v->mem + CODE_GPA, code, sizeof code);
}

static void run_once(struct vm *v, const char *label) {
  struct kvm_sregs s;
  if (ioctl(v->vcpu, KVM_GET_SREGS, &s) < 0) die("KVM_GET_SREGS");
  s.cs.base = 0;
  s.cs.selector = 0;
  if (ioctl(v->vcpu, KVM_SET_SREGS, &s) < 0) die("KVM_SET_SREGS");
  struct kvm_regs r = {.rip = CODE_GPA, .rflags = 2};
  if (ioctl(v->vcpu, KVM_SET_REGS, &r) < 0) die("KVM_SET_REGS");
  for (;;) {
    if (ioctl(v->vcpu, KVM_RUN, 0) < 0) die("KVM_RUN");
    if (v->run->exit_reason == KVM_EXIT_HLT) break;
    fprintf(stderr, "zap-driver: %s: unexpected exit_reason %u\n", label, v->run->exit_reason);
    exit(1);
  }
  say("%-22s exit_reason=%d (HLT)\n", label, KVM_EXIT_HLT);
}

static void iteration(int kvm, unsigned pages, int plain) {
  struct vm v = {.kvm = kvm};
  v.mem_size = DATA_GPA + (size_t)pages * PAGE;
  v.fd = ioctl(kvm, KVM_CREATE_VM, 0);
  if (v.fd < 0) die("KVM_CREATE_VM");
  v.mem = mmap(NULL, v.mem_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (v.mem == MAP_FAILED) die("mmap guest memory");
  load_code(&v, pages);
  set_slot(&v, v.mem_size);
  v.vcpu = ioctl(v.fd, KVM_CREATE_VCPU, 0);
  if (v.vcpu < 0) die("KVM_CREATE_VCPU");
  v.run_size = (size_t)ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
  v.run = mmap(NULL, v.run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v.vcpu, 0);
  if (v.run == MAP_FAILED) die("mmap kvm_run");

  run_once(&v, "1st run (map)");
  if (!plain) {
    if (madvise(v.mem + DATA_GPA, (size_t)pages * PAGE, MADV_DONTNEED) < 0) die("madvise");
    say("madvise(DONTNEED) %u pages (mmu notifier unmap)\n", pages);
    run_once(&v, "2nd run (re-fault)");
    set_slot(&v, 0);
    say("memslot deleted and re-added (zap all fast)\n");
    set_slot(&v, v.mem_size);
    run_once(&v, "3rd run (new root)");
  }
  munmap(v.run, v.run_size);
  close(v.vcpu);
  close(v.fd);
  munmap(v.mem, v.mem_size);
  say("VM closed (zap all / put root)\n");
}

int main(int argc, char **argv) {
  int plain = 0, i = 1;
  for (; i < argc && argv[i][0] == '-'; i++) {
    if (!strcmp(argv[i], "--plain")) plain = 1;
    else if (!strcmp(argv[i], "--quiet")) quiet = 1;
    else break;
  }
  if (argc - i != 2) {
    fprintf(stderr, "usage: zap-driver [--plain] [--quiet] ITERATIONS PAGES\n");
    return 2;
  }
  long iters = strtol(argv[i], NULL, 10), pages = strtol(argv[i + 1], NULL, 10);
  if (iters < 1 || pages < 1 || pages > 4096) {
    fprintf(stderr, "zap-driver: ITERATIONS must be >= 1 and PAGES in 1...4096\n");
    return 2;
  }
  int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
  if (kvm < 0) die("open /dev/kvm");
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (long n = 0; n < iters; n++) iteration(kvm, (unsigned)pages, plain);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double ms = ((t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6) / iters;
  printf("zap-driver: done %ld iterations, %ld pages, %s, %.1f ms/iteration\n", iters, pages,
         plain ? "plain" : "zap", ms);
  return 0;
}
