/* libFuzzer target: the YAML config parser.  Any input must give either a
 * config (that prints and frees cleanly) or PS_ECONFIG with a
 * "NAME:LINE:COLUMN: " message.  Built by tests/fuzz/run. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/config.h"
#include "engine/log.h"

static const cfg_source_id needs_nova[] = {SRC_NOVA, SRC__COUNT};
static const cfg_source_id needs_none[] = {SRC__COUNT};
static const config_job_spec specs[] = {
    {"instance", true, needs_nova},
    {"project", false, needs_none},
    {"flavour", false, needs_none},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static FILE *devnull;
  if (!devnull) {
    devnull = fopen("/dev/null", "w");
    log_set_stream(devnull);
  }
  config *cfg = NULL;
  ps_error err;
  ps_status s = config_load_string("fuzz.yaml", (const char *)data, size, specs, 3, &cfg, &err);
  if (s == PS_OK) {
    if (!cfg)
      abort();
    config_print(cfg, devnull);
    config_free(cfg);
  } else if (cfg || (s == PS_ECONFIG && strncmp(err.msg, "fuzz.yaml:", 10) != 0)) {
    abort();
  }
  return 0;
}
