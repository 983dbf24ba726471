/* The festival processes of the speech synthesiser (see lsnn/synth.h): the probe of the program
 * and its voices, the Scheme script of a speaker, and the jobs that run at once. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "data/synth_internal.h"
#include "io/fs.h"

extern char **environ;

/* The last line of a festival log that says something, for error messages. */
static void log_tail(const char *log, char *out, size_t cap)
{
    snprintf(out, cap, "no output");
    FILE *f = fopen(log, "rb");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        size_t n = strcspn(line, "\r\n");
        line[n] = '\0';
        if (n > 0 && strncmp(line, "done ", 5) != 0)
            snprintf(out, cap, "%s", line);
    }
    fclose(f);
}

/* Starts prog -b script in directory dir, stdin from /dev/null, stdout and stderr to log, with
 * HOME set to dir (so that a ~/.festivalrc cannot change the corpus). Returns the pid, or -1 with
 * errno set (ENOENT: prog not found). */
static pid_t spawn_festival(const char *prog, const char *dir, const char *script,
                            const char *log)
{
    /* Everything the child needs is prepared here: between fork and exec it only calls
     * async-signal-safe functions. */
    size_t n_env = 0;
    while (environ && environ[n_env])
        n_env++;
    char **env = malloc((n_env + 2) * sizeof *env);
    if (!env) {
        errno = ENOMEM;
        return -1;
    }
    size_t k = 0;
    for (size_t i = 0; i < n_env; i++)
        if (strncmp(environ[i], "HOME=", 5) != 0)
            env[k++] = environ[i];
    env[k++] = "HOME=."; /* the child's working directory, dir */
    env[k] = NULL;
    char *argv[] = {(char *)prog, "-b", (char *)script, NULL};

    int logfd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    int nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    int pfd[2] = {-1, -1};
    pid_t pid = -1;
    int e = 0;
    if (logfd < 0 || nullfd < 0 || pipe(pfd) != 0) {
        e = errno;
        goto out;
    }
    fcntl(pfd[0], F_SETFD, FD_CLOEXEC);
    fcntl(pfd[1], F_SETFD, FD_CLOEXEC);
    fflush(stdout);
    fflush(stderr);
    pid = fork();
    if (pid < 0) {
        e = errno;
        goto out;
    }
    if (pid == 0) {
        int ce = 0;
        if (dup2(nullfd, STDIN_FILENO) < 0 || dup2(logfd, STDOUT_FILENO) < 0 ||
            dup2(logfd, STDERR_FILENO) < 0 || chdir(dir) != 0)
            ce = errno;
        else {
            environ = env;
            execvp(prog, argv);
            ce = errno;
        }
        ssize_t w = write(pfd[1], &ce, sizeof ce); /* the pipe closes on a successful exec */
        (void)w;
        _exit(127);
    }
    close(pfd[1]);
    pfd[1] = -1;
    int child_errno = 0;
    ssize_t r;
    do
        r = read(pfd[0], &child_errno, sizeof child_errno);
    while (r < 0 && errno == EINTR);
    if (r == (ssize_t)sizeof child_errno) {
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            ;
        pid = -1;
        e = child_errno;
    }
out:
    if (logfd >= 0)
        close(logfd);
    if (nullfd >= 0)
        close(nullfd);
    if (pfd[0] >= 0)
        close(pfd[0]);
    if (pfd[1] >= 0)
        close(pfd[1]);
    free(env);
    if (pid < 0)
        errno = e;
    return pid;
}

/* Waits for pid; returns its exit status (128 + signal if killed). */
static int wait_child(pid_t pid)
{
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

static lsnn_status festival_missing(const char *prog)
{
    return lsnn_error(LSNN_ERR_IO, "data synth-speech: %s not found: install festival and its voices (apt-get "
               "install festival festvox-kallpc16k festvox-kdlpc16k festvox-us-slt-hts) or name "
               "the program with --festival", prog);
}

/* Checks that festival runs and has the voices in use; fills version. */
lsnn_status lsnn__synth_probe_festival(const char *prog, const char *work, const int use[N_VOICES],
                          char *version, size_t cap)
{
    char script[PATH_CAP], log[PATH_CAP];
    if (lsnn__path_join(script, PATH_CAP, work, "probe.scm") || lsnn__path_join(log, PATH_CAP, work, "probe.log"))
        return lsnn_error(LSNN_ERR_ARG, "%s: path too long", work);
    char text[1024];
    int n = snprintf(text, sizeof text, "(format t \"version %%s\\n\" festival_version)\n");
    for (int v = 0; v < N_VOICES; v++)
        n += snprintf(text + n, sizeof text - (size_t)n,
                      "(format t \"voice %s %%l\\n\" (symbol-bound? '%s))\n", VOICES[v].key,
                      VOICES[v].func);
    lsnn_status st = lsnn__write_text(script, text);
    if (st)
        return st;
    pid_t pid = spawn_festival(prog, work, "probe.scm", log);
    if (pid < 0)
        return errno == ENOENT ? festival_missing(prog)
                               : lsnn_error(LSNN_ERR_IO, "data synth-speech: cannot run %s: %s", prog, strerror(errno));
    int rc = wait_child(pid);
    if (rc != 0) {
        char tail[512];
        log_tail(log, tail, sizeof tail);
        return lsnn_error(LSNN_ERR_IO, "data synth-speech: '%s -b probe.scm' failed (exit status %d): %s", prog, rc,
                   tail);
    }
    int have[N_VOICES] = {0};
    snprintf(version, cap, "unknown");
    FILE *f = fopen(log, "rb");
    if (!f)
        return lsnn_error(LSNN_ERR_IO, "%s: cannot open: %s", log, strerror(errno));
    char line[512];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (strncmp(line, "version ", 8) == 0)
            snprintf(version, cap, "%.100s", line + 8);
        for (int v = 0; v < N_VOICES; v++) {
            char want[64];
            snprintf(want, sizeof want, "voice %s t", VOICES[v].key);
            if (strcmp(line, want) == 0)
                have[v] = 1;
        }
    }
    fclose(f);
    unlink(script);
    unlink(log);
    for (int v = 0; v < N_VOICES; v++)
        if (use[v] && !have[v])
            return lsnn_error(LSNN_ERR_IO, "data synth-speech: festival has no voice %s (%s): install the Debian "
                       "package %s, or choose other voices with --voices", VOICES[v].key,
                       VOICES[v].func, VOICES[v].package);
    return LSNN_OK;
}

/* Appends s to buf as a Scheme string literal. */
static size_t scheme_string(char *buf, size_t cap, size_t n, const char *s)
{
    if (n < cap)
        buf[n] = '"';
    n++;
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') {
            if (n < cap)
                buf[n] = '\\';
            n++;
        }
        if (n < cap)
            buf[n] = *s;
        n++;
    }
    if (n < cap)
        buf[n] = '"';
    return n + 1;
}

/* The festival script of one speaker: voice, parameters, then one lsnn_say per sentence. */
static lsnn_status write_script(const corpus *c, const speaker *sp, const char *path)
{
    const speaker_def *d = sp->def;
    const voice *v = &VOICES[d->voice];
    size_t cap = 4096 + (size_t)sp->n_sent * (MAX_SENTENCE_CHARS * 2 + 64);
    char *buf = malloc(cap);
    if (!buf)
        return lsnn_error(LSNN_ERR_NOMEM, "data synth-speech: out of memory");
    size_t n = 0;
    n += (size_t)snprintf(buf + n, cap - n,
                          ";; lsnn data synth-speech: speaker %s (generated; see corpus.json)\n"
                          "(%s)\n", d->id, v->func);
    if (v->hts)
        n += (size_t)snprintf(buf + n, cap - n,
                              "(set! hts_engine_params\n"
                              "      (append hts_engine_params (list (list \"-r\" %.6f))))\n",
                              1.0 / d->stretch);
    else
        n += (size_t)snprintf(buf + n, cap - n,
                              "(set! int_lr_params\n"
                              "      (list (list 'target_f0_mean %d) (list 'target_f0_std %d)\n"
                              "            (assoc 'model_f0_mean int_lr_params)\n"
                              "            (assoc 'model_f0_std int_lr_params)))\n"
                              "(Parameter.set 'Duration_Stretch %.4f)\n",
                              d->f0_mean, d->f0_std, d->stretch);
    n += (size_t)snprintf(buf + n, cap - n,
                          "(define (lsnn_say name u)\n"
                          "  (utt.synth u)\n"
                          "  (utt.wave.resample u %d)\n"
                          "  (utt.save.wave u (string-append name \".riff\") 'riff)\n"
                          "  (utt.save.segs u (string-append name \".segs\"))\n"
                          "  (format t \"done %%s\\n\" name))\n", d->rate);
    for (int i = 0; i < sp->n_sent && n < cap; i++) {
        char name[16];
        lsnn__synth_sentence_name(name, sp->sent[i]);
        /* Utterance does not evaluate its arguments: the text must be a literal here. */
        n += (size_t)snprintf(buf + n, cap - n, "(lsnn_say \"%s\" (Utterance Text ", name);
        n = scheme_string(buf, cap, n, c->text.line[sp->sent[i]]);
        if (n < cap)
            n += (size_t)snprintf(buf + n, cap - n, "))\n");
    }
    lsnn_status rc;
    if (n >= cap)
        rc = lsnn_error(LSNN_ERR_IO, "%s: script too long", path); /* cannot happen: cap covers the worst case */
    else
        rc = lsnn__write_text(path, buf);
    free(buf);
    return rc;
}

/* Creates the speaker's directories and script, and starts festival on it. */
static lsnn_status start_speaker(corpus *c, speaker *sp)
{
    char script[PATH_CAP], log[PATH_CAP];
    if (lsnn__path_join(sp->work_dir, PATH_CAP, c->work, sp->def->id) || lsnn__path_join(script, PATH_CAP, sp->work_dir,
                                                                     "synth.scm") ||
        lsnn__path_join(log, PATH_CAP, sp->work_dir, "festival.log"))
        return lsnn_error(LSNN_ERR_ARG, "%s: path too long", c->work);
    lsnn_status st = lsnn__make_dir(sp->work_dir);
    if (!st)
        st = write_script(c, sp, script);
    if (st)
        return st;
    sp->t_start = lsnn__synth_now();
    sp->pid = spawn_festival(c->festival, sp->work_dir, "synth.scm", log);
    if (sp->pid < 0) {
        sp->pid = 0;
        return errno == ENOENT ? festival_missing(c->festival)
                               : lsnn_error(LSNN_ERR_IO, "data synth-speech: cannot run %s: %s", c->festival,
                                     strerror(errno));
    }
    return LSNN_OK;
}

/* After festival exited with status rc: converts the speaker's utterances and removes its work
 * directory. */
static lsnn_status finish_speaker(corpus *c, speaker *sp, int rc)
{
    char log[PATH_CAP];
    if (lsnn__path_join(log, PATH_CAP, sp->work_dir, "festival.log"))
        return lsnn_error(LSNN_ERR_ARG, "%s: path too long", sp->work_dir);
    if (rc != 0) {
        char tail[512];
        log_tail(log, tail, sizeof tail);
        return lsnn_error(LSNN_ERR_IO, "data synth-speech: festival failed for speaker %s (exit status %d): %s",
                   sp->def->id, rc, tail);
    }
    for (int i = 0; i < sp->n_sent; i++) {
        lsnn_status st = lsnn__synth_make_utterance(c, sp, sp->sent[i]);
        if (st)
            return st;
    }
    if (lsnn__fsync_path(sp->out_dir) != 0)
        return lsnn_error(LSNN_ERR_IO, "%s: cannot sync: %s", sp->out_dir, strerror(errno));
    if (lsnn__remove_tree(sp->work_dir) != 0)
        return lsnn_error(LSNN_ERR_IO, "%s: cannot remove: %s", sp->work_dir, strerror(errno));
    return LSNN_OK;
}

static void stop_all(corpus *c)
{
    for (int i = 0; i < c->n_spk; i++)
        if (c->spk[i].pid > 0) {
            kill(c->spk[i].pid, SIGTERM);
            wait_child(c->spk[i].pid);
            c->spk[i].pid = 0;
        }
}

/* Runs festival for every speaker, at most jobs at once, converting each as it finishes. */
lsnn_status lsnn__synth_run_all(corpus *c, int jobs)
{
    long total = 0, done_utts = 0;
    for (int i = 0; i < c->n_spk; i++)
        total += c->spk[i].n_sent;
    double t0 = lsnn__synth_now();
    int next = 0, running = 0, done = 0;
    while (done < c->n_spk) {
        while (running < jobs && next < c->n_spk) {
            lsnn_status err = start_speaker(c, &c->spk[next]);
            if (err) {
                stop_all(c);
                return err;
            }
            next++;
            running++;
        }
        int st;
        pid_t pid = waitpid(-1, &st, 0);
        if (pid < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            stop_all(c);
            return lsnn_error(LSNN_ERR_IO, "data synth-speech: waitpid: %s", strerror(e));
        }
        speaker *sp = NULL;
        for (int i = 0; i < c->n_spk; i++)
            if (c->spk[i].pid == pid)
                sp = &c->spk[i];
        if (!sp)
            continue; /* not one of ours */
        sp->pid = 0;
        running--;
        int rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
        lsnn_status err = finish_speaker(c, sp, rc);
        if (err) {
            stop_all(c);
            return err;
        }
        done++;
        done_utts += sp->n_sent;
        double el = lsnn__synth_now() - t0;
        lsnn_synth_event e = {.kind = LSNN_SYNTH_SPEAKER, .n_speakers = c->n_spk, .done = done,
                              .speaker = sp->def->id, .split = SPLIT_NAME[sp->split],
                              .speaker_utterances = sp->n_sent,
                              .audio_seconds = (double)sp->samples / RATE,
                              .speaker_seconds = lsnn__synth_now() - sp->t_start,
                              .elapsed_seconds = el,
                              .left_seconds = el * (double)(total - done_utts) / (double)done_utts};
        if (c->progress)
            c->progress(c->ctx, &e);
    }
    return LSNN_OK;
}
