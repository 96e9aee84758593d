// fault-driver: vCPUs faulting on fresh memory while another thread takes mmu_lock for write.
//
// One VM, two memslots (code at 0, data above DATA_GPA) and VCPUS vCPU threads. Each vCPU runs
// ROUNDS times real-mode code that writes one byte to each of its PAGES data pages and halts, so
// every round faults each page in again through kvm_mmu_page_fault. Meanwhile the main thread
// alternates MADV_DONTNEED on all data pages (the MMU notifier zaps them) and deleting and
// re-adding the data memslot (kvm_set_memslot), both of which take mmu_lock for write on 6.1, until
// the vCPUs are done. A write that finds the data slot deleted exits as MMIO and is re-entered.
// Prints its pid and "vcpu ID tid TID" for each vCPU thread (the host maps bpftrace's tids to vCPUs by it),
// and the faults each vCPU took (rounds and pages), for the record.
//
// Usage: fault-driver ROUNDS PAGES     (PAGES per vCPU, 1...64)
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define VCPUS 2
#define CODE_GPA 0x1000u
#define DATA_GPA 0x10000u
#define PAGE 4096u

static int vm_fd, kvm_fd;
static uint8_t *code_mem, *data_mem;
static size_t data_size;
static unsigned pages, rounds;
static atomic_int running = VCPUS;
static pthread_mutex_t slot_lock = PTHREAD_MUTEX_INITIALIZER;

static void die(const char *what) {
  fprintf(stderr, "fault-driver: %s: %s\n", what, strerror(errno));
  exit(1);
}

static void set_slot(int slot, uint64_t gpa, uint64_t size, void *mem) {
  struct kvm_userspace_memory_region r = {
      .slot = slot, .guest_phys_addr = gpa, .memory_size = size, .userspace_addr = (uintptr_t)mem};
  if (ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0) die("KVM_SET_USER_MEMORY_REGION");
}

// vCPU i's code at CODE_GPA + i * 0x100: ES from its first data page, one byte per page, hlt.
static void load_code(unsigned i) {
  unsigned first = (DATA_GPA + i * pages * PAGE) >> 4;
  const uint8_t code[] = {
      0xb8, first & 0xff, first >> 8 & 0xff,  // mov ax, first page >> 4
      0xb9, pages & 0xff, pages >> 8 & 0xff,  // mov cx, pages
      0x8e, 0xc0,                             // l: mov es, ax
      0x26, 0xc6, 0x06, 0x00, 0x00, 0x5a,     // mov byte es:[0], 0x5a
      0x05, 0x00, 0x01,                       // add ax, 0x100 (next page)
      0xe2, 0xf3,                             // loop l
      0xf4,                                   // hlt
  };
  memcpy(code_mem + CODE_GPA + i * 0x100, code, sizeof code);
}

static void *vcpu_thread(void *arg) {
  unsigned id = (unsigned)(uintptr_t)arg;
  int fd = ioctl(vm_fd, KVM_CREATE_VCPU, id);
  if (fd < 0) die("KVM_CREATE_VCPU");
  size_t run_size = (size_t)ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
  struct kvm_run *run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (run == MAP_FAILED) die("mmap kvm_run");
  printf("vcpu %u tid %ld\n", id, (long)syscall(SYS_gettid));
  fflush(stdout);
  unsigned long mmio = 0;
  for (unsigned n = 0; n < rounds; n++) {
    struct kvm_sregs s;
    if (ioctl(fd, KVM_GET_SREGS, &s) < 0) die("KVM_GET_SREGS");
    s.cs.base = 0;
    s.cs.selector = 0;
    if (ioctl(fd, KVM_SET_SREGS, &s) < 0) die("KVM_SET_SREGS");
    struct kvm_regs r = {.rip = CODE_GPA + id * 0x100, .rflags = 2};
    if (ioctl(fd, KVM_SET_REGS, &r) < 0) die("KVM_SET_REGS");
    for (;;) {
      if (ioctl(fd, KVM_RUN, 0) < 0) {
        if (errno == EINTR || errno == EAGAIN) continue;
        die("KVM_RUN");
      }
      if (run->exit_reason == KVM_EXIT_HLT) break;
      if (run->exit_reason == KVM_EXIT_MMIO) {
        mmio++;
        continue;
      }
      fprintf(stderr, "fault-driver: vcpu %u: unexpected exit_reason %u\n", id, run->exit_reason);
      exit(1);
    }
  }
  printf("vcpu %u done: %u rounds of %u pages, %lu writes exited as MMIO\n", id, rounds, pages, mmio);
  fflush(stdout);
  atomic_fetch_sub(&running, 1);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: fault-driver ROUNDS PAGES\n");
    return 2;
  }
  rounds = (unsigned)strtoul(argv[1], NULL, 10);
  pages = (unsigned)strtoul(argv[2], NULL, 10);
  if (rounds < 1 || pages < 1 || pages > 64) {
    fprintf(stderr, "fault-driver: ROUNDS must be >= 1 and PAGES in 1...64\n");
    return 2;
  }
  printf("fault-driver pid %d\n", (int)getpid());
  fflush(stdout);
  kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
  if (kvm_fd < 0) die("open /dev/kvm");
  vm_fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
  if (vm_fd < 0) die("KVM_CREATE_VM");
  code_mem = mmap(NULL, DATA_GPA, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  data_size = (size_t)VCPUS * pages * PAGE;
  data_mem = mmap(NULL, data_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (code_mem == MAP_FAILED || data_mem == MAP_FAILED) die("mmap guest memory");
  for (unsigned i = 0; i < VCPUS; i++) load_code(i);
  set_slot(0, 0, DATA_GPA, code_mem);
  set_slot(1, DATA_GPA, data_size, data_mem);
  pthread_t threads[VCPUS];
  for (unsigned i = 0; i < VCPUS; i++)
    if (pthread_create(&threads[i], NULL, vcpu_thread, (void *)(uintptr_t)i) != 0) die("pthread_create");
  unsigned long dontneed = 0, deletes = 0;
  for (unsigned n = 0; atomic_load(&running) > 0; n++) {
    pthread_mutex_lock(&slot_lock);
    if (n % 2 == 0) {
      if (madvise(data_mem, data_size, MADV_DONTNEED) < 0) die("madvise");
      dontneed++;
    } else {
      set_slot(1, DATA_GPA, 0, data_mem);
      set_slot(1, DATA_GPA, data_size, data_mem);
      deletes++;
    }
    pthread_mutex_unlock(&slot_lock);
    usleep(2000);
  }
  for (unsigned i = 0; i < VCPUS; i++) pthread_join(threads[i], NULL);
  printf("fault-driver: done %u rounds x %u pages on %d vCPUs; %lu MADV_DONTNEED, %lu memslot deletes\n",
         rounds, pages, VCPUS, dontneed, deletes);
  return 0;
}
