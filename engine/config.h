/* config: the YAML configuration file, parsed (libyaml) and validated into
 * plain structs.  The config owns every string in it; config_free releases
 * all of it.  A config is immutable once loaded, so any thread may read it
 * without a lock; a reload (SIGHUP) builds a new one and swaps the pointer.
 *
 * Only `servers`, `sources` and `target` are required; everything else has
 * a default (listed beside each field).  Every error is reported as
 * "FILE:LINE:COLUMN: what is wrong" (PS_ECONFIG) before any connection is
 * opened. */
#ifndef POLLSTER_CONFIG_H
#define POLLSTER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "engine/status.h"

/* Where a value came from in the file, for error messages after parsing. */
typedef struct cfg_loc {
  unsigned line, column; /* 1-based; 0 when not from the file (a default) */
} cfg_loc;

typedef enum cfg_ssl_mode {
  CFG_SSL_DISABLED,
  CFG_SSL_PREFERRED, /* default */
  CFG_SSL_REQUIRED,
  CFG_SSL_VERIFY_CA,
  CFG_SSL_VERIFY_IDENTITY,
} cfg_ssl_mode;

typedef struct cfg_addr {
  char *host;
  unsigned port;
} cfg_addr;

typedef struct cfg_server {
  char *name;
  char *host;            /* NULL when socket is used */
  unsigned port;         /* default 3306 */
  char *socket;          /* NULL when host is used */
  cfg_addr *hosts;       /* optional list of nodes (Galera); n_hosts entries */
  size_t n_hosts;
  char *user;            /* required */
  char *password;        /* resolved secret, "" allowed; NEVER print or log */
  char *password_origin; /* "password", "password_file PATH" or "password_env VAR" (printable) */
  unsigned pool_size;    /* default 4 */
  cfg_ssl_mode ssl_mode; /* default preferred */
  char *ssl_ca;          /* NULL = none */
  unsigned connect_timeout_s; /* default 10 */
  unsigned read_timeout_s;    /* default 600 */
  unsigned write_timeout_s;   /* default 600 */
  cfg_loc loc;
} cfg_server;

/* One logical source database.  For nova there is one per cell. */
typedef struct cfg_source {
  char *cell;       /* nova only: the cell name; NULL otherwise */
  size_t server;    /* index into config.servers */
  char *schema;     /* a plain identifier ([A-Za-z0-9_$]+), safe to backquote */
  cfg_loc loc;
} cfg_source;

/* The logical source databases of the contract.  nova is a list (cells). */
typedef enum cfg_source_id {
  SRC_KEYSTONE,
  SRC_NOVA_API,
  SRC_NOVA,
  SRC_CINDER,
  SRC_GLANCE,
  SRC_RCSHIBBOLETH,
  SRC_DASHBOARD,
  SRC__COUNT
} cfg_source_id;

/* Name of a logical source ("keystone", ...). */
const char *config_source_name(cfg_source_id id);

typedef struct cfg_target {
  size_t server;       /* index into config.servers */
  char *schema;        /* the reporting schema */
  char *state_schema;  /* default "<schema>_pollster" */
  cfg_loc loc;
} cfg_target;

typedef enum cfg_load_method { CFG_LOAD_INSERT, CFG_LOAD_DATA } cfg_load_method;

typedef struct cfg_engine {
  unsigned workers;            /* default 4 */
  size_t batch_rows;           /* default 5000 */
  size_t batch_bytes;          /* default 4 MiB */
  cfg_load_method load_method; /* default insert */
  unsigned retries;            /* default 5: attempts after the first, per job */
  unsigned retry_backoff_ms;   /* default 500: first backoff, doubled each time, capped at 30 s */
  bool deferred_indexes;       /* default true: build secondary keys after the load */
  unsigned swap_lock_wait_s;   /* default 5: lock_wait_timeout for the RENAME */
  unsigned swap_retries;       /* default 20 */
  unsigned acquire_timeout_s;  /* default 60: waiting for a pooled connection */
  unsigned shutdown_deadline_s;/* default 30 */
  unsigned lease_ttl_s;        /* default 60 */
  char *metrics_file;          /* NULL = none */
  char *pidfile;               /* NULL = none */
} cfg_engine;

typedef enum cfg_job_mode { CFG_MODE_FULL, CFG_MODE_INCREMENTAL } cfg_job_mode;

/* What the config parser needs to know of the job catalogue (which lives in
 * extractors/): the names it accepts under `jobs:` and whether incremental
 * mode is allowed.  Passed in so the engine does not depend on extractors. */
typedef struct config_job_spec {
  const char *name;
  bool incremental_ok;
  /* Logical sources the job reads; a missing one is a config error unless
   * the job is disabled.  Terminated by SRC__COUNT. */
  const cfg_source_id *needs;
} config_job_spec;

typedef struct cfg_job {
  const char *name;     /* from the spec (static) */
  bool enabled;         /* default true */
  cfg_job_mode mode;    /* default full */
  unsigned period_s;    /* default 3600 */
  unsigned full_every_s;/* default 86400 (incremental jobs) */
  unsigned window_s;    /* default 86400 */
  char *source;         /* flavour only: "nova_api" (default) or "nova" (legacy instance_types) */
  cfg_loc loc;
} cfg_job;

typedef struct config {
  char *path;              /* file it was read from */
  cfg_server *servers;
  size_t n_servers;
  /* sources[id]: n_sources[id] entries (0 when not configured, >1 only for nova) */
  cfg_source *sources[SRC__COUNT];
  size_t n_sources[SRC__COUNT];
  cfg_target target;
  cfg_engine engine;
  cfg_job *jobs;           /* one per spec, in spec order (defaults when absent) */
  size_t n_jobs;
} config;

/* Parse and validate `path`.  On success *out owns a new config (free with
 * config_free).  On failure returns PS_ECONFIG (or PS_EIO) with
 * "FILE:LINE:COLUMN: message" in err->msg; *out is left NULL.  Warnings that
 * are not errors (e.g. a password file readable by others) are logged. */
ps_status config_load(const char *path, const config_job_spec *specs, size_t n_specs,
                      config **out, ps_error *err);
/* Same, from a string (tests); `name` stands in for the file name. */
ps_status config_load_string(const char *name, const char *yaml, size_t len,
                             const config_job_spec *specs, size_t n_specs,
                             config **out, ps_error *err);
void config_free(config *cfg); /* accepts NULL */

/* Print the effective config (defaults filled in) as YAML, passwords masked. */
void config_print(const config *cfg, FILE *out);

/* The job entry for a name, or NULL. */
const cfg_job *config_job(const config *cfg, const char *name);
/* Server of a source entry / of the target. */
static inline const cfg_server *config_server(const config *cfg, size_t idx) {
  return &cfg->servers[idx];
}

/* Parse "10s", "10m", "1h", "1d", "250ms" (a bare number = seconds) into
 * milliseconds; sizes "4MiB", "512KiB", "1GiB", "1000", "4MB" into bytes.
 * Return false on syntax error or overflow. */
bool config_parse_duration_ms(const char *s, uint64_t *ms);
bool config_parse_size(const char *s, uint64_t *bytes);
/* A plain identifier: 1..64 chars of [A-Za-z0-9_$], not all digits. */
bool config_is_identifier(const char *s);

#endif
