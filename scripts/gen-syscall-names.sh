#!/bin/sh
# Prints the x86-64 syscall table body used by core/SyscallNames.cpp.
grep -E '^#define __NR_' /usr/include/x86_64-linux-gnu/asm/unistd_64.h |
  awk '{print $3, $2}' | sed 's/__NR_//' | sort -n |
  awk '{printf "    {%d, \"%s\"},\n", $1, $2}'
