/* How fast this machine is right now, once a second, for reading a benchmark's
 * timeline beside it: a shared machine's speed moves under a run, and a server's CPU
 * per message moves with it.
 *
 *   gcc -O2 -o /tmp/machine-probe scripts/machine-probe.c
 *   /tmp/machine-probe SECONDS > probe.txt &
 *
 * Each line: unix time, nanoseconds per dependent load over a 128 MiB random cycle (a
 * cache and TLB miss each: the memory system's latency), and milliseconds of a fixed
 * arithmetic loop (the core's speed). Both are CPU time of this thread, so waiting for
 * a core does not count; the probe uses ~10 ms of CPU a second. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define ENTRIES (16u << 20) /* 8-byte entries: 128 MiB, far past any cache */
#define LOADS 20000
#define ALU_STEPS 3000000L

static double seconds(clockid_t clock) {
    struct timespec t;
    clock_gettime(clock, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    int total = argc > 1 ? atoi(argv[1]) : 60;
    size_t *next = malloc(ENTRIES * sizeof *next);
    size_t *order = malloc(ENTRIES * sizeof *order);
    if (next == NULL || order == NULL) return 1;
    for (size_t i = 0; i < ENTRIES; i++) order[i] = i;
    srand(1); /* one random cycle through every entry: no stride a prefetcher can follow */
    for (size_t i = ENTRIES - 1; i > 0; i--) {
        size_t j = (((size_t)rand() << 16) ^ (size_t)rand()) % (i + 1);
        size_t t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    for (size_t i = 0; i < ENTRIES; i++) next[order[i]] = order[(i + 1) % ENTRIES];
    free(order);
    size_t at = 0;
    volatile unsigned long sink = 0;
    for (int s = 0; s < total; s++) {
        double c0 = seconds(CLOCK_THREAD_CPUTIME_ID);
        for (int k = 0; k < LOADS; k++) at = next[at];
        double c1 = seconds(CLOCK_THREAD_CPUTIME_ID);
        for (long k = 0; k < ALU_STEPS; k++) sink += (unsigned long)(k * k % 7);
        double c2 = seconds(CLOCK_THREAD_CPUTIME_ID);
        printf("%.1f %.1f %.3f\n", seconds(CLOCK_REALTIME), (c1 - c0) * 1e9 / LOADS,
               (c2 - c1) * 1e3);
        fflush(stdout);
        sleep(1);
    }
    return (int)(at & 1);
}
