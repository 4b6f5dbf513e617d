// Thin, prefixed C shim for the Linux calls Swift's Glibc module lacks.
#pragma once
#include <stdint.h>
int ntpsh_platform_placeholder(void);
