/*
 * replay_main.c - a plain main() for the fuzz harnesses, so `make test-fuzz`
 * replays corpora and crash reproducers with gcc (and sanitizers) without
 * libFuzzer: every regular file in every directory named on the command
 * line goes through LLVMFuzzerTestOneInput once. A missing directory is
 * reported and skipped (an empty crashes/ folder may not exist in a fresh
 * clone). The harness aborts on a violated contract, so exit 0 means every
 * input passed.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Feed one file; returns 1 if it was a regular file, 0 if skipped, -1 on error. */
static int replay_file(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "replay: cannot open %s\n", path);
        return -1;
    }
    uint8_t *buf = malloc(st.st_size ? (size_t)st.st_size : 1);
    size_t n = buf ? fread(buf, 1, (size_t)st.st_size, f) : 0;
    fclose(f);
    if (!buf || n != (size_t)st.st_size) {
        fprintf(stderr, "replay: cannot read %s\n", path);
        free(buf);
        return -1;
    }
    /* an exact-size copy, so sanitizers see any read past the end */
    LLVMFuzzerTestOneInput(buf, n);
    free(buf);
    return 1;
}

int main(int argc, char **argv)
{
    size_t total = 0;
    int rc = 0;
    for (int i = 1; i < argc; i++) {
        DIR *d = opendir(argv[i]);
        if (!d) {
            int r = replay_file(argv[i]);   /* a single file is fine too */
            if (r > 0)
                total++;
            else
                fprintf(stderr, "replay: skipping %s (not a directory or file)\n", argv[i]);
            continue;
        }
        char **names = NULL;
        size_t n = 0, cap = 0;
        struct dirent *e;
        while ((e = readdir(d))) {
            if (e->d_name[0] == '.')
                continue;
            if (n == cap) {
                cap = cap ? cap * 2 : 64;
                char **nn = realloc(names, cap * sizeof *names);
                if (!nn)
                    abort();
                names = nn;
            }
            names[n++] = strdup(e->d_name);
        }
        closedir(d);
        if (n)
            qsort(names, n, sizeof *names, cmp);
        size_t here = 0;
        for (size_t k = 0; k < n; k++) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", argv[i], names[k]);
            int r = replay_file(path);
            if (r > 0)
                here++;
            else if (r < 0)
                rc = 1;
            free(names[k]);
        }
        free(names);
        printf("replay: %zu inputs from %s\n", here, argv[i]);
        total += here;
    }
    printf("replay: %zu inputs replayed, all passed\n", total);
    return rc;
}
