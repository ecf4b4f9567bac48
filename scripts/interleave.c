/* Times whole commands in interleaved rounds (A B C A B C ...), so that this VM's slow
 * drifts in speed hit every command alike; sequential blocks (hyperfine) mislead here.
 * Prints per command the median, 25th percentile and minimum wall time, and the median CPU
 * time (user + system) of the process. Used by scripts/bench-interleaved.sh.
 * Usage: interleave ROUNDS FILE   (FILE: one command per line, "[VAR=value ...] /abs/path args",
 * split on spaces; five warm-up rounds are not counted). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
extern char **environ;
typedef struct { char *argv[64]; char *envp[512]; char line[4096]; double *wall, *cpu; } Cmd;
static int cmp(const void *a, const void *b) { double x = *(double *)a, y = *(double *)b; return x < y ? -1 : x > y; }
int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: interleave ROUNDS FILE\n"); return 2; }
    int rounds = atoi(argv[1]), n = 0;
    FILE *f = fopen(argv[2], "r");
    if (!f || rounds < 1) { perror(argv[2]); return 2; }
    static Cmd cmds[16];
    char buf[4096];
    while (n < 16 && fgets(buf, sizeof buf, f)) {
        buf[strcspn(buf, "\n")] = 0;
        if (!*buf) continue;
        Cmd *c = &cmds[n++];
        strcpy(c->line, buf);
        char *copy = strdup(buf);
        int ne = 0, na = 0;
        for (char **e = environ; *e && ne < 400; e++) c->envp[ne++] = *e;
        for (char *t = strtok(copy, " "); t && na < 63; t = strtok(NULL, " ")) {
            if (na == 0 && strchr(t, '=') && t[0] != '/') c->envp[ne++] = t; else c->argv[na++] = t;
        }
        c->argv[na] = 0; c->envp[ne] = 0;
        c->wall = malloc(sizeof(double) * rounds); c->cpu = malloc(sizeof(double) * rounds);
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    for (int r = -5; r < rounds; r++) {
        for (int i = 0; i < n; i++) {
            struct timespec a, b; struct rusage ru; pid_t p; int st;
            clock_gettime(CLOCK_MONOTONIC, &a);
            if (posix_spawn(&p, cmds[i].argv[0], &fa, 0, cmds[i].argv, cmds[i].envp) != 0) { perror(cmds[i].argv[0]); return 2; }
            wait4(p, &st, 0, &ru);
            clock_gettime(CLOCK_MONOTONIC, &b);
            if (r < 0) continue;
            cmds[i].wall[r] = (b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6;
            cmds[i].cpu[r] = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
        }
    }
    for (int i = 0; i < n; i++) {
        qsort(cmds[i].wall, rounds, sizeof(double), cmp);
        qsort(cmds[i].cpu, rounds, sizeof(double), cmp);
        printf("median %6.2f ms  p25 %6.2f  min %6.2f  cpu median %6.2f ms  %s\n", cmds[i].wall[rounds / 2],
               cmds[i].wall[rounds / 4], cmds[i].wall[0], cmds[i].cpu[rounds / 2], cmds[i].line);
    }
    return 0;
}
