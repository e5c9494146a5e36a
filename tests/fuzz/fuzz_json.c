/* libFuzzer target: json_object_get_int.  Built by tests/fuzz/run. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "extractors/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  int64_t v = 0;
  bool found = true;
  ps_error err;
  ps_status st = json_object_get_int((const char *)data, size, "allocation_id", &v, &found, &err);
  if (st != PS_OK && (st != PS_EDATA || found))
    abort();
  /* Looking for another name must agree on well-formedness. */
  bool found2;
  if (json_object_get_int((const char *)data, size, "a", &v, &found2, NULL) != st)
    abort();
  return 0;
}
