/* libFuzzer target: pickle_read_dict and the organisation rule on whatever
 * it reads.  Built by tests/fuzz/run (clang), not by CMake. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "extractors/org.h"
#include "extractors/pickle.h"
#include "extractors/text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  pickle_dict *d = NULL;
  ps_error err;
  ps_status st = pickle_read_dict(data, size, &d, &err);
  if (st != PS_OK) {
    if (d || (st != PS_EDATA && st != PS_ENOMEM))
      abort();
    return 0;
  }
  size_t n = pickle_dict_count(d);
  for (size_t i = 0; i < n; i++) {
    const char *k = pickle_dict_key(d, i), *v = pickle_dict_value(d, i);
    /* The contract: every string out is valid UTF-8, keys are unique and
     * findable, and the sorted view is sorted. */
    if (!text_utf8_valid(k, strlen(k)) || !text_utf8_valid(v, strlen(v)))
      abort();
    if (pickle_dict_get(d, k) != v)
      abort();
    if (i > 0 && strcmp(pickle_dict_key(d, pickle_dict_sorted(d, i - 1)),
                        pickle_dict_key(d, pickle_dict_sorted(d, i))) >= 0)
      abort();
  }
  char buf[64];
  const char *org = org_from_attributes(d, buf, sizeof buf);
  if (org && (org != buf || !text_utf8_valid(buf, strlen(buf))))
    abort();
  pickle_dict_free(d);
  return 0;
}
