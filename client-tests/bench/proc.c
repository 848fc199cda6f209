/*
 * proc.c - child processes and /proc readings for the bench (see proc.h).
 */
#include "proc.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <sched.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ------------------------------------------------------------------------
 * stdout after readiness
 * ------------------------------------------------------------------------ */

static void *drain_main(void *arg)
{
    proc_t *p = arg;
    char buf[4096];
    for (;;) {
        ssize_t n = read(p->out_fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
    }
    return NULL;
}

static void close_output(proc_t *p)
{
    if (p->draining) {
        pthread_join(p->drain, NULL);
        p->draining = false;
    }
    if (p->out_fd >= 0) {
        close(p->out_fd);
        p->out_fd = -1;
    }
}

/* Reap our child within timeout_ms; the wait status, or -1 if it is still
 * running. */
static int reap(proc_t *p, int timeout_ms)
{
    uint64_t end = now_ns() + (uint64_t)timeout_ms * 1000000u;
    for (;;) {
        int st = 0;
        pid_t r = waitpid(p->pid, &st, WNOHANG);
        if (r == p->pid || (r < 0 && errno == ECHILD)) {
            int status = r == p->pid ? st : 0;
            p->pid = 0;
            close_output(p);
            return status;
        }
        if (now_ns() >= end)
            return -1;
        struct timespec ts = { 0, 2 * 1000000L };
        nanosleep(&ts, NULL);
    }
}

int proc_kill9(proc_t *p)
{
    if (p->pid <= 0) {
        close_output(p);
        return -1;
    }
    kill(p->pid, SIGKILL);
    return reap(p, 60000);
}

int proc_stop(proc_t *p, int timeout_ms)
{
    if (p->pid <= 0) {
        close_output(p);
        return -1;
    }
    kill(p->pid, SIGTERM);
    int st = reap(p, timeout_ms);
    return st >= 0 ? st : proc_kill9(p);
}

/* ------------------------------------------------------------------------
 * start
 * ------------------------------------------------------------------------ */

/* Read stdout until a whole line containing mark; copies it to p. */
static cs_err_t await_line(proc_t *p, const char *mark, uint64_t t0, int timeout_ms,
                           cs_error_t *err)
{
    char buf[8192];
    size_t len = 0;
    uint64_t end = t0 + (uint64_t)timeout_ms * 1000000u;
    for (;;) {
        buf[len] = 0;
        char *m = strstr(buf, mark);
        char *nl = m ? strchr(m, '\n') : NULL;
        if (nl) {
            p->ready_ms = (double)(now_ns() - t0) / 1e6;
            char *start = m;
            while (start > buf && start[-1] != '\n')
                start--;
            snprintf(p->ready_line, sizeof p->ready_line, "%.*s", (int)(nl - start), start);
            return CS_OK;
        }
        if (len == sizeof buf - 1) {
            memmove(buf, buf + len / 2, len - len / 2);
            len -= len / 2;
        }
        uint64_t now = now_ns();
        if (now >= end)
            return cs_fail(err, CS_EBUSY, "no '%s' line within %d ms", mark, timeout_ms);
        struct pollfd pf = { .fd = p->out_fd, .events = POLLIN };
        int pr = poll(&pf, 1, (int)((end - now) / 1000000u) + 1);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr <= 0)
            continue;
        ssize_t n = read(p->out_fd, buf + len, sizeof buf - 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return cs_fail(err, CS_EIO, "exited before printing '%s'", mark);
        len += (size_t)n;
    }
}

cs_err_t proc_spawn(proc_t *p, char *const argv[], const char *ready_mark, int timeout_ms,
                    cs_error_t *err)
{
    memset(p, 0, sizeof *p);
    p->out_fd = -1;
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        return cs_fail(err, CS_EIO, "pipe: %s", strerror(errno));
    pid_t parent = getpid();
    uint64_t t0 = now_ns();
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return cs_fail(err, CS_EIO, "fork: %s", strerror(errno));
    }
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        dup2(fds[1], STDOUT_FILENO);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        execv(argv[0], argv);
        /* only async-signal-safe calls between fork and exec */
        static const char msg[] = "csbench: exec of a child process failed\n";
        ssize_t ignored = write(STDERR_FILENO, msg, sizeof msg - 1);
        (void)ignored;
        _exit(127);
    }
    close(fds[1]);
    p->pid = pid;
    p->out_fd = fds[0];
    if (ready_mark) {
        cs_err_t rc = await_line(p, ready_mark, t0, timeout_ms, err);
        if (rc != CS_OK) {
            char what[512];
            snprintf(what, sizeof what, "%.150s: %.300s", argv[0], err->msg);
            proc_kill9(p);
            return cs_fail(err, rc, "%s", what);
        }
    }
    if (pthread_create(&p->drain, NULL, drain_main, p) == 0)
        p->draining = true;
    return CS_OK;
}

/* ------------------------------------------------------------------------
 * /proc
 * ------------------------------------------------------------------------ */

static int64_t ticks_to_us(unsigned long long t)
{
    long hz = sysconf(_SC_CLK_TCK);
    return (int64_t)(t * 1000000ull / (unsigned long long)(hz > 0 ? hz : 100));
}

bool proc_cpu_split(pid_t pid, int64_t *user_us, int64_t *sys_us)
{
    char path[64], line[2048];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    size_t n = fread(line, 1, sizeof line - 1, f);
    fclose(f);
    line[n] = 0;
    /* the command name may hold spaces: fields restart after the last ')' */
    char *s = strrchr(line, ')');
    if (!s)
        return false;
    unsigned long long ut = 0, st = 0;
    /* after ')': state(3) ppid pgrp session tty tpgid flags minflt cminflt
     * majflt cmajflt utime(14) stime(15) */
    if (sscanf(s + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
        return false;
    *user_us = ticks_to_us(ut);
    *sys_us = ticks_to_us(st);
    return true;
}

int64_t proc_cpu_us(pid_t pid)
{
    int64_t u, s;
    return proc_cpu_split(pid, &u, &s) ? u + s : -1;
}

int64_t machine_busy_us(void)
{
    FILE *f = fopen("/proc/stat", "r");
    if (!f)
        return -1;
    unsigned long long v[8] = { 0 };
    int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
                   &v[4], &v[5], &v[6], &v[7]);
    fclose(f);
    if (n < 8)
        return -1;
    /* user nice system idle iowait irq softirq steal: all but idle, iowait */
    return ticks_to_us(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]);
}

int machine_cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

static void cpu_set_for(int cpu, cpu_set_t *set)
{
    CPU_ZERO(set);
    if (cpu >= 0) {
        CPU_SET(cpu, set);
        return;
    }
    for (int i = 0; i < machine_cpus() && i < CPU_SETSIZE; i++)
        CPU_SET(i, set);
}

bool proc_pin(pid_t pid, int cpu)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    if (!d)
        return false;
    cpu_set_t set;
    cpu_set_for(cpu, &set);
    bool ok = true;
    for (struct dirent *e; (e = readdir(d));) {
        int tid = atoi(e->d_name);
        if (tid > 0 && sched_setaffinity(tid, sizeof set, &set) != 0 && errno != ESRCH)
            ok = false;
    }
    closedir(d);
    return ok;
}

bool pin_self(int cpu)
{
    cpu_set_t set;
    cpu_set_for(cpu, &set);
    return sched_setaffinity(0, sizeof set, &set) == 0;
}

/* Busy ticks of each CPU ("cpuN" lines of /proc/stat) into busy[0..n). */
static int per_cpu_busy(unsigned long long *busy, int n)
{
    FILE *f = fopen("/proc/stat", "r");
    if (!f)
        return 0;
    char line[512];
    int got = 0;
    while (fgets(line, sizeof line, f)) {
        int cpu;
        unsigned long long v[8];
        if (sscanf(line, "cpu%d %llu %llu %llu %llu %llu %llu %llu %llu", &cpu, &v[0], &v[1],
                   &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) == 9 && cpu >= 0 && cpu < n) {
            busy[cpu] = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
            got = cpu + 1 > got ? cpu + 1 : got;
        }
    }
    fclose(f);
    return got;
}

int least_busy_cpu(int ms)
{
    unsigned long long a[256] = { 0 }, b[256] = { 0 };
    int n = per_cpu_busy(a, 256);
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
    n = per_cpu_busy(b, n);
    int best = 0;
    for (int i = 1; i < n; i++)
        if (b[i] - a[i] < b[best] - a[best])
            best = i;
    return best;
}

long proc_rss_kb(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    long kb = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
            break;
    fclose(f);
    return kb;
}

int64_t self_cpu_us(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 + ru.ru_utime.tv_usec +
           ru.ru_stime.tv_usec;
}

int free_loopback_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = 0 };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t al = sizeof a;
    int port = -1;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &al) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}

cs_err_t tmpdir_make(const char *parent, const char *prefix, char *out, size_t outlen,
                     cs_error_t *err)
{
    mkdir(parent, 0700);
    if (snprintf(out, outlen, "%s/%sXXXXXX", parent, prefix) >= (int)outlen)
        return cs_fail(err, CS_EINVAL, "path too long: %s", parent);
    if (!mkdtemp(out))
        return cs_fail(err, CS_EIO, "mkdtemp in %s: %s", parent, strerror(errno));
    return CS_OK;
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void tmpdir_remove(const char *dir)
{
    if (dir && *dir)
        nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}
