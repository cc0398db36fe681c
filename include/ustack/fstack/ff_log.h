/* ff_log.h: logging for applications of the F-Stack-compatible C API. A message is written
 * when its level is at most the global level and at most its type's level; levels follow
 * syslog (EMERG 1 .. DEBUG 8). Messages go to stderr unless ff_log_reset_stream or
 * ff_log_open_set chose another stream. */
#ifndef USTACK_FSTACK_FF_LOG_H
#define USTACK_FSTACK_FF_LOG_H

#include <stdarg.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FF_LOG_DISABLE 0
#define FF_LOG_EMERG 1
#define FF_LOG_ALERT 2
#define FF_LOG_CRIT 3
#define FF_LOG_ERR 4
#define FF_LOG_WARNING 5
#define FF_LOG_NOTICE 6
#define FF_LOG_INFO 7
#define FF_LOG_DEBUG 8

#define FF_LOGTYPE_USER1 24
#define FF_LOGTYPE_USER2 25
#define FF_LOGTYPE_USER3 26
#define FF_LOGTYPE_USER4 27
#define FF_LOGTYPE_USER5 28
#define FF_LOGTYPE_USER6 29
#define FF_LOGTYPE_USER7 30
#define FF_LOGTYPE_USER8 31

#define FF_LOGTYPE_FSTACK_APP FF_LOGTYPE_USER1
#define FF_LOGTYPE_FSTACK_LIB FF_LOGTYPE_USER7

/* Returns the number of characters written, 0 when filtered out, -1 on a bad argument. */
int ff_log(uint32_t level, uint32_t logtype, const char* format, ...)
    __attribute__((format(printf, 3, 4)));
int ff_vlog(uint32_t level, uint32_t logtype, const char* format, va_list ap)
    __attribute__((format(printf, 3, 0)));
/* The global level (default FF_LOG_INFO). */
void ff_log_set_global_level(uint32_t level);
/* The level of one type (default FF_LOG_DEBUG: the global level decides); -1 on a bad type. */
int ff_log_set_level(uint32_t logtype, uint32_t level);
/* Writes to this FILE * from now on (NULL: back to stderr); 0 on success. */
int ff_log_reset_stream(void* f);
/* Opens (appends to) the file named by the USTACK_LOG_FILE environment variable, when it is
 * set, and writes there; 0 on success or when none is named, -1 when it cannot be opened. */
int ff_log_open_set(void);
/* Closes a file opened by ff_log_open_set and returns to stderr. */
void ff_log_close(void);

#ifdef __cplusplus
}
#endif

#endif /* USTACK_FSTACK_FF_LOG_H */
