#include "checkpoint/RestoreStub.h"

#include <elf.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "core/Error.h"
#include "storage/FdIo.h"

namespace ckrr {

namespace {

std::vector<uint8_t> stub_image() {
  // syscall; int3; jmp back to the syscall (never reached: ckrr never lets the stub run free).
  const uint8_t code[] = {0x0f, 0x05, 0xcc, 0xeb, 0xfb};
  const size_t code_off = sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr);
  std::vector<uint8_t> img(code_off + sizeof code);
  Elf64_Ehdr eh{};
  memcpy(eh.e_ident, ELFMAG, SELFMAG);
  eh.e_ident[EI_CLASS] = ELFCLASS64;
  eh.e_ident[EI_DATA] = ELFDATA2LSB;
  eh.e_ident[EI_VERSION] = EV_CURRENT;
  eh.e_ident[EI_OSABI] = ELFOSABI_SYSV;
  eh.e_type = ET_EXEC;
  eh.e_machine = EM_X86_64;
  eh.e_version = EV_CURRENT;
  eh.e_entry = kRestoreStubAddr + code_off;
  eh.e_phoff = sizeof(Elf64_Ehdr);
  eh.e_ehsize = sizeof(Elf64_Ehdr);
  eh.e_phentsize = sizeof(Elf64_Phdr);
  eh.e_phnum = 1;
  Elf64_Phdr ph{};
  ph.p_type = PT_LOAD;
  ph.p_flags = PF_R | PF_X;
  ph.p_offset = 0;
  ph.p_vaddr = ph.p_paddr = kRestoreStubAddr;
  ph.p_filesz = ph.p_memsz = img.size();
  ph.p_align = kRestoreStubSize;
  memcpy(img.data(), &eh, sizeof eh);
  memcpy(img.data() + sizeof eh, &ph, sizeof ph);
  memcpy(img.data() + code_off, code, sizeof code);
  return img;
}

}  // namespace

RestoreStub::RestoreStub() {
  fd_ = ::memfd_create("ckrr-restore", MFD_CLOEXEC);
  if (fd_ < 0) throw Error(errno_text("memfd_create", errno));
  std::vector<uint8_t> img = stub_image();
  if (int err = write_all(fd_, img.data(), img.size())) {
    ::close(fd_);
    throw Error(errno_text("write restore stub", err));
  }
  path_ = "/proc/" + std::to_string(::getpid()) + "/fd/" + std::to_string(fd_);
}

RestoreStub::~RestoreStub() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace ckrr
