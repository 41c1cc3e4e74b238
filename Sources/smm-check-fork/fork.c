// Fork safety: threads allocate and free without pause while the main thread forks again and again; each
// child allocates, frees and exits. A child that inherited a lock held by a thread that no longer exists
// would hang, so the parent gives each child a deadline. Exit 0 when every child finished in time.
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static atomic_int stop;

static void *churn(void *arg) {
    unsigned seed = (unsigned)(size_t)arg;
    void *keep[64] = {0};
    while (!atomic_load(&stop)) {
        int i = rand_r(&seed) % 64;
        free(keep[i]);
        size_t size = (size_t)(rand_r(&seed) % 4 == 0 ? 300000 : rand_r(&seed) % 5000 + 1);
        keep[i] = malloc(size);
        memset(keep[i], i, size < 64 ? size : 64);
    }
    for (int i = 0; i < 64; i++) free(keep[i]);
    return NULL;
}

int main(int argc, char **argv) {
    int forks = argc > 1 ? atoi(argv[1]) : 200;
    pthread_t threads[3];
    for (long t = 0; t < 3; t++) pthread_create(&threads[t], NULL, churn, (void *)(t + 1));
    int hung = 0, failed = 0;
    for (int f = 0; f < forks; f++) {
        pid_t pid = fork();
        if (pid == 0) {
            alarm(10);
            for (int i = 0; i < 1000; i++) {
                size_t n = (size_t)(i * 37 % 400000) + 1;
                void *p = malloc(n);
                if (!p) _exit(3);
                memset(p, 7, n < 16 ? n : 16);      // (not past the end: SMM_DEBUG=1 would report it)
                free(p);
            }
            _exit(0);
        }
        int status = 0;
        waitpid(pid, &status, 0);
        if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM) hung++;
        else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) failed++;
    }
    atomic_store(&stop, 1);
    for (int t = 0; t < 3; t++) pthread_join(threads[t], NULL);
    printf("fork: %d children, %d hung, %d failed\n", forks, hung, failed);
    return hung || failed ? 1 : 0;
}
