#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MSG_MAX 1024

static _Thread_local char last_msg[MSG_MAX];
static _Thread_local int last_code;

static void set_message(const char *fmt, va_list ap)
{
    char buf[MSG_MAX];
    vsnprintf(buf, sizeof buf, fmt, ap);
    /* one line: a message must never carry a newline into the CLI's output */
    for (char *c = buf; *c; c++)
        if (*c == '\n' || *c == '\r')
            *c = ' ';
    memcpy(last_msg, buf, sizeof buf);
}

int prle__error_set(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_message(fmt, ap);
    va_end(ap);
    last_code = code;
    return code;
}

int prle__error_prefix(int code, const char *fmt, ...)
{
    char prefix[MSG_MAX], old[MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, last_msg, sizeof old);
    return prle__error_set(code, "%s: %s", prefix, old);
}

int prle__error_nomem(const char *what)
{
    return prle__error_set(PRLE_ENOMEM, "out of memory (%s)", what);
}

void prle__assert_fail(const char *cond, const char *file, int line)
{
    /* A broken invariant inside the library: the one place it may write and abort. */
    fprintf(stderr, "prle: internal error: %s (%s:%d)\n", cond, file, line);
    abort();
}

const char *prle_last_error(void)
{
    return last_msg;
}

int prle_last_error_code(void)
{
    return last_code;
}

void prle_error_clear(void)
{
    last_msg[0] = '\0';
    last_code = PRLE_OK;
}

const char *prle_status_name(int status)
{
    switch (status) {
    case PRLE_OK: return "PRLE_OK";
    case PRLE_ERROR: return "PRLE_ERROR";
    case PRLE_ENOMEM: return "PRLE_ENOMEM";
    case PRLE_EINVAL: return "PRLE_EINVAL";
    case PRLE_EIO: return "PRLE_EIO";
    case PRLE_EFORMAT: return "PRLE_EFORMAT";
    case PRLE_ESHAPE: return "PRLE_ESHAPE";
    case PRLE_ENOTFOUND: return "PRLE_ENOTFOUND";
    case PRLE_EABORTED: return "PRLE_EABORTED";
    default: return "PRLE_UNKNOWN";
    }
}

const char *prle_version(void)
{
    return PRLE_VERSION_STRING;
}
