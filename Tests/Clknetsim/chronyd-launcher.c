// chronyd-launcher: put on chrony's simulation harness's PATH under the name `chronyd`
// (scripts/clknetsim.sh). Built static, so the LD_PRELOAD the harness sets (clknetsim.so) is
// not loaded into it: clknetsim's constructor would register this process as the node.
// It moves LD_PRELOAD to CLKNETSIM_SAVED_PRELOAD and execs the hook script named by
// NTPSH_SIM_HOOK with the arguments chronyd was given; the hook decides whether the node runs
// chronyd or ntpsh, and restores the preload for it. Test tooling only.
//
// Build: gcc -static -O2 -o chronyd chronyd-launcher.c
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
    const char *hook = getenv("NTPSH_SIM_HOOK");
    if (!hook || !*hook) {
        fprintf(stderr, "chronyd-launcher: NTPSH_SIM_HOOK is not set\n");
        return 127;
    }
    const char *preload = getenv("LD_PRELOAD");
    if (setenv("CLKNETSIM_SAVED_PRELOAD", preload ? preload : "", 1) != 0 || unsetenv("LD_PRELOAD") != 0) {
        perror("chronyd-launcher: environment");
        return 127;
    }
    char **args = calloc((size_t)argc + 2, sizeof *args);
    if (!args) return 127;
    args[0] = "/bin/bash";
    args[1] = (char *)hook;
    for (int i = 1; i < argc; i++) args[i + 1] = argv[i];
    execv(args[0], args);
    perror("chronyd-launcher: exec /bin/bash");
    return 127;
}
