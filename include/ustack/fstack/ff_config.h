/* ff_config.h: start-up options of the F-Stack-compatible C API. ustack reads its settings
 * from a config.ini (see apps/config.example.ini) named on the command line given to ff_init:
 *   --conf FILE | --conf=FILE | -c FILE   the config file (required)
 *   --proc-type=primary|secondary|auto    only one process per stack today: primary / auto
 *   --proc-id=N                           only 0 today
 * Other arguments are ignored, so an application may keep its own. */
#ifndef USTACK_FSTACK_FF_CONFIG_H
#define USTACK_FSTACK_FF_CONFIG_H

#ifdef __cplusplus
extern "C" {
#endif

#define FF_USTACK 1 /* defined by ustack's compatibility headers */

enum ff_proc_type { FF_PROC_PRIMARY = 0, FF_PROC_SECONDARY = 1, FF_PROC_AUTO = 2 };

/* What ff_init parsed; valid after it returned 0. */
struct ff_config {
  const char* filename;
  enum ff_proc_type proc_type;
  int proc_id;
};

/* The parsed start-up options, or NULL before ff_init succeeded. */
const struct ff_config* ff_get_config(void);

#ifdef __cplusplus
}
#endif

#endif /* USTACK_FSTACK_FF_CONFIG_H */
