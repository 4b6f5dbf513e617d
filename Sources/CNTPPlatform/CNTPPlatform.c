#define _GNU_SOURCE
#include "CNTPPlatform.h"
int ntpsh_platform_placeholder(void) { return 0; }
