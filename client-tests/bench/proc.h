/*
 * proc.h - the bench's child processes (csemu, redis-server) and what
 * /proc says about them.
 *
 * proc_spawn() forks and execs argv with stdout on a pipe and waits for a
 * line containing `ready_mark`, timing fork-to-line (the start-to-ready
 * figure). Only our own children's pids are ever signalled; each child
 * gets PR_SET_PDEATHSIG so a crashed bench leaves nothing behind (that
 * signal follows the forking *thread*: spawn from the main thread). After
 * readiness a thread drains the child's stdout so it never blocks on a
 * full pipe.
 */
#ifndef CSBENCH_PROC_H
#define CSBENCH_PROC_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cs_err.h"

typedef struct proc {
    pid_t pid;            /* running child, 0 when none */
    int out_fd;           /* read end of its stdout, -1 when none */
    pthread_t drain;
    bool draining;
    char ready_line[512]; /* the line that carried ready_mark */
    double ready_ms;      /* fork to ready line, milliseconds */
} proc_t;

/* Start argv[0] (a path) with argv; wait up to timeout_ms for a stdout
 * line containing ready_mark (NULL: do not wait). On failure the child is
 * gone. Free with proc_stop()/proc_kill9() in every case. */
cs_err_t proc_spawn(proc_t *p, char *const argv[], const char *ready_mark, int timeout_ms,
                    cs_error_t *err);

/* SIGTERM and reap (SIGKILL after timeout_ms). Returns the wait status,
 * -1 if there was no child. */
int proc_stop(proc_t *p, int timeout_ms);

/* SIGKILL and reap: a crash. */
int proc_kill9(proc_t *p);

/* utime+stime of the whole process (all its threads, live and exited),
 * microseconds; -1 if /proc cannot tell. Resolution: one clock tick. */
int64_t proc_cpu_us(pid_t pid);
/* The same, user and system time apart; false if /proc cannot tell. */
bool proc_cpu_split(pid_t pid, int64_t *user_us, int64_t *sys_us);

/* Busy time of the whole machine, summed over CPUs (user, nice, system,
 * irq, softirq, steal from /proc/stat), microseconds; -1 if unknown. With
 * our own and the server's CPU it tells how much other processes took
 * during a run (the machine is shared). */
int64_t machine_busy_us(void);
int machine_cpus(void);

/* Pin every thread of pid - and so the threads they create later - to
 * cpu; cpu < 0 lets them run anywhere again. false if a thread could not
 * be moved. */
bool proc_pin(pid_t pid, int cpu);
/* Pin the calling thread to cpu (< 0: any CPU). */
bool pin_self(int cpu);
/* The CPU that was least busy over the last ms milliseconds (/proc/stat). */
int least_busy_cpu(int ms);

/* VmRSS in KiB from /proc/PID/status, -1 if unknown. */
long proc_rss_kb(pid_t pid);

/* Our own CPU (all threads), microseconds (getrusage). */
int64_t self_cpu_us(void);

/* Monotonic clock in nanoseconds. */
uint64_t now_ns(void);

/* A free loopback TCP port (bound then released: a small race, for
 * programs such as redis-server that cannot report an ephemeral port). */
int free_loopback_port(void);

/* mkdir -p of a fresh directory "<parent>/<prefix>XXXXXX"; rm -rf. */
cs_err_t tmpdir_make(const char *parent, const char *prefix, char *out, size_t outlen,
                     cs_error_t *err);
void tmpdir_remove(const char *dir);

#endif
