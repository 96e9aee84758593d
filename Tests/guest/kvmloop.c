// kvmloop: a tiny VMM for tdptrace's live tests. In a loop it creates a VM with a 4 MiB memslot,
// creates one vCPU, runs real-mode code that writes one byte to each of PAGES 4 KiB guest pages,
// does `out 0x3f8, 'A'` and `hlt`, then closes the vCPU and the VM. Each iteration drives the
// MMU's root allocation (kvm_mmu_load -> mmu_alloc_root -> kvm_mmu_get_page), its faults, and its
// teardown (kvm_mmu_notifier_release -> kvm_mmu_prepare_zap_page).
//
//   gcc -O2 -o kvmloop kvmloop.c && ./kvmloop ITERATIONS [PAGES [wait]]
//
// With `wait` it reads one line from stdin before the first iteration, so a test can start a
// tracer filtered on its pid first.
// Exit status: 0 when every iteration ended in HLT, 1 on any error (message on stderr), 77 when
// /dev/kvm cannot be opened (tests skip).
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define MEM_SIZE (4u << 20)
#define CODE_ADDR 0x1000u
#define DATA_SEGMENT 0x2000u // ES = 0x2000: data at 0x20000, one page per step

static int fail(const char *what) {
  fprintf(stderr, "kvmloop: %s: %s\n", what, strerror(errno));
  return 1;
}

static int run_once(int kvm, size_t run_size, uint16_t pages) {
  int vm = ioctl(kvm, KVM_CREATE_VM, 0);
  if (vm < 0) return fail("KVM_CREATE_VM");
  uint8_t *mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) return fail("mmap guest memory");
  // mov ax,0x2000; mov cx,PAGES; L: mov es,ax; mov byte [es:0],0x55; add ax,0x100; loop L;
  // mov dx,0x3f8; mov al,'A'; out dx,al; hlt
  const uint8_t code[] = {
      0xb8, 0x00, 0x20, 0xb9, (uint8_t)(pages & 0xff), (uint8_t)(pages >> 8), 0x8e, 0xc0, 0x26, 0xc6, 0x06,
      0x00, 0x00, 0x55, 0x05, 0x00, 0x01, 0xe2, 0xf3, 0xba, 0xf8, 0x03, 0xb0, 0x41, 0xee, 0xf4,
  };
  memcpy(mem + CODE_ADDR, code, sizeof(code));
  struct kvm_userspace_memory_region region = {
      .slot = 0, .guest_phys_addr = 0, .memory_size = MEM_SIZE, .userspace_addr = (uintptr_t)mem};
  if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0) return fail("KVM_SET_USER_MEMORY_REGION");
  ioctl(vm, KVM_SET_TSS_ADDR, 0xfffbd000ul); // needed by VMX, refused or ignored elsewhere

  int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
  if (vcpu < 0) return fail("KVM_CREATE_VCPU");
  struct kvm_run *run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
  if (run == MAP_FAILED) return fail("mmap kvm_run");
  struct kvm_sregs sregs;
  if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0) return fail("KVM_GET_SREGS");
  sregs.cs.base = 0;
  sregs.cs.selector = 0;
  if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0) return fail("KVM_SET_SREGS");
  struct kvm_regs regs = {.rip = CODE_ADDR, .rflags = 2};
  if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0) return fail("KVM_SET_REGS");

  int status = 1;
  for (int exits = 0; exits < 100; exits++) {
    if (ioctl(vcpu, KVM_RUN, 0) < 0) {
      if (errno == EINTR) continue;
      status = fail("KVM_RUN");
      break;
    }
    if (run->exit_reason == KVM_EXIT_IO) continue;
    if (run->exit_reason == KVM_EXIT_HLT) {
      status = 0;
      break;
    }
    fprintf(stderr, "kvmloop: unexpected exit reason %u\n", run->exit_reason);
    break;
  }
  for (uint16_t i = 0; status == 0 && i < pages; i++) {
    if (mem[DATA_SEGMENT * 16 + i * 4096u] != 0x55) {
      fprintf(stderr, "kvmloop: guest did not write page %u\n", i);
      status = 1;
    }
  }
  munmap(run, run_size);
  close(vcpu);
  close(vm);
  munmap(mem, MEM_SIZE);
  return status;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: kvmloop ITERATIONS [PAGES [wait]]\n");
    return 2;
  }
  long iterations = strtol(argv[1], NULL, 10);
  long pages = argc > 2 ? strtol(argv[2], NULL, 10) : 16;
  if (iterations < 1 || pages < 1 || pages > 896) {
    fprintf(stderr, "kvmloop: ITERATIONS must be >= 1 and PAGES 1..896\n");
    return 2;
  }
  if (argc > 3 && strcmp(argv[3], "wait") == 0) {
    char line[16];
    if (!fgets(line, sizeof(line), stdin)) {
      fprintf(stderr, "kvmloop: no start line on stdin\n");
      return 2;
    }
  }
  int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
  if (kvm < 0) {
    fprintf(stderr, "kvmloop: cannot open /dev/kvm: %s\n", strerror(errno));
    return 77;
  }
  int run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
  if (run_size <= 0) return fail("KVM_GET_VCPU_MMAP_SIZE");
  for (long i = 0; i < iterations; i++) {
    if (run_once(kvm, (size_t)run_size, (uint16_t)pages) != 0) {
      fprintf(stderr, "kvmloop: iteration %ld failed\n", i);
      return 1;
    }
  }
  close(kvm);
  printf("kvmloop: %ld iterations, %ld pages each\n", iterations, pages);
  return 0;
}
