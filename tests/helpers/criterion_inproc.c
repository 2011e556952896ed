/* A second main for the Criterion test binaries: runs every test of the binary in this one
 * process, one after the other, for the Valgrind stage (scripts/test). Criterion's own runner
 * starts a fresh process per test (BoxFort re-executes the binary), and under Valgrind each of
 * those pays Valgrind's start-up (about 1 CPU-second): 450 tests cost minutes before any test
 * code ran. Here Valgrind starts once per binary.
 *
 * Linked into test_NAME_inproc (tests/meson.build) next to the test file's object; it defines
 * the Criterion entry points that the Test() trampolines and the cr_assert macros call, so they
 * land here instead of in libcriterion (an executable's definitions come first). What the tests
 * use is supported: Test() and TestSuite() with .init, .fini, .disabled (.timeout is ignored:
 * meson's timeout bounds the whole binary), the cr_assert and cr_expect families, cr_log.
 * A test that expects a signal or an exit code needs its own process: the binary refuses it.
 * Prints one line per failed assertion and per test; exits 1 if any test failed. */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* The linker's bounds of the sections the Test() and TestSuite() macros fill. */
extern struct criterion_test *__start_cr_tst[], *__stop_cr_tst[];
extern struct criterion_suite *__start_cr_sts[] __attribute__((weak));
extern struct criterion_suite *__stop_cr_sts[] __attribute__((weak));

static const struct criterion_test *cur_test;
static const struct criterion_suite *cur_suite;
static jmp_buf abort_jmp;  /* criterion_abort_test() returns here */
static int cur_failed;

static const struct criterion_suite *suite_of(const struct criterion_test *t)
{
    for (struct criterion_suite **s = __start_cr_sts; s && s < __stop_cr_sts; s++)
        if (*s && !strcmp((*s)->name, t->category))
            return *s;
    return NULL;
}

void criterion_internal_test_setup(void)
{
    if (cur_suite && cur_suite->data && cur_suite->data->init)
        cur_suite->data->init();
    if (cur_test->data && cur_test->data->init)
        cur_test->data->init();
}

void criterion_internal_test_main(void (*fn)(void))
{
    fn();
}

void criterion_internal_test_teardown(void)
{
    if (cur_test->data && cur_test->data->fini)
        cur_test->data->fini();
    if (cur_suite && cur_suite->data && cur_suite->data->fini)
        cur_suite->data->fini();
}

void criterion_send_assert(struct criterion_assert_stats *stats)
{
    if (stats->passed)
        return;
    cur_failed = 1;
    fprintf(stderr, "%s:%u: %s::%s: assertion failed: %s\n", stats->file, stats->line,
            cur_test->category, cur_test->name, stats->message ? stats->message : "");
}

void cri_asserts_passed_incr(void)
{
}

void criterion_abort_test(void)
{
    longjmp(abort_jmp, 1);
}

void criterion_continue_test(void)
{
}

void cr_log(enum criterion_severity severity, const char *msg, ...)
{
    static const char *const names[] = {"info", "warning", "error"};
    va_list ap;
    va_start(ap, msg);
    fprintf(stderr, "[%s] ", (unsigned)severity < 3 ? names[severity] : "log");
    vfprintf(stderr, msg, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* Runs t (init, the test, fini); returns 1 if an assertion failed. An aborting assertion (in
 * init or in the test) jumps back here, and fini still runs, as with Criterion. */
static int run_one(const struct criterion_test *t)
{
    cur_test = t;
    cur_suite = suite_of(t);
    cur_failed = 0;
    if (!setjmp(abort_jmp))
        t->test(); /* the Test() trampoline: setup, test, teardown */
    else if (!setjmp(abort_jmp))
        criterion_internal_test_teardown();
    return cur_failed;
}

int main(void)
{
    int run = 0, failed = 0, skipped = 0;
    for (struct criterion_test **p = __start_cr_tst; p < __stop_cr_tst; p++) {
        const struct criterion_test *t = *p;
        if (!t)
            continue;
        if (t->data && t->data->disabled) {
            skipped++;
            continue;
        }
        if (t->data && (t->data->signal || t->data->exit_code)) {
            fprintf(stderr, "%s::%s expects a signal or an exit code: run it with Criterion's runner\n",
                    t->category, t->name);
            failed++;
            continue;
        }
        int bad = run_one(t);
        run++;
        failed += bad;
        printf("[%s] %s::%s\n", bad ? "FAIL" : "PASS", t->category, t->name);
        fflush(stdout);
    }
    printf("Synthesis: Tested: %d | Passing: %d | Failing: %d | Skipped: %d\n", run, run - failed,
           failed, skipped);
    return failed ? 1 : 0;
}
