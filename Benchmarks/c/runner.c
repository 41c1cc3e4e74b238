// runner: runs one command in a fresh child and reports its wall time, CPU time and peak RSS,
// taken from wait4() on that child alone. The child is forked from this small process rather
// than from the (large) harness, because Linux carries the pre-exec RSS high-water mark into the
// child's ru_maxrss. Usage: runner [-p PRELOAD] -o RESULT -- COMMAND [ARGS...]
// RESULT gets one line: wall=S user=S sys=S maxrss_kb=N status=N
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
    const char *preload = NULL, *result = NULL;
    int i = 1;
    for (; i < argc; i++) {
        if (strcmp(argv[i], "-p") == 0 && i + 1 < argc) preload = argv[++i];
        else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) result = argv[++i];
        else if (strcmp(argv[i], "--") == 0) { i++; break; }
        else break;
    }
    if (!result || i >= argc) {
        fprintf(stderr, "usage: runner [-p PRELOAD] -o RESULT -- COMMAND [ARGS...]\n");
        return 64;
    }
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    pid_t pid = fork();
    if (pid < 0) { perror("fork"); return 70; }
    if (pid == 0) {
        if (preload && *preload) setenv("LD_PRELOAD", preload, 1);
        execvp(argv[i], &argv[i]);
        perror(argv[i]);
        _exit(127);
    }
    int status = 0;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) < 0) { perror("wait4"); return 70; }
    clock_gettime(CLOCK_MONOTONIC, &end);
    double wall = (double)(end.tv_sec - start.tv_sec) + (double)(end.tv_nsec - start.tv_nsec) / 1e9;
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    FILE *f = fopen(result, "w");
    if (!f) { perror(result); return 70; }
    fprintf(f, "wall=%.6f user=%.6f sys=%.6f maxrss_kb=%ld status=%d\n", wall,
            (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6,
            (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6, ru.ru_maxrss, code);
    fclose(f);
    return code;
}
