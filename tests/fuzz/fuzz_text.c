/* libFuzzer target: the UTF-8 checks.  The first byte picks max_chars.
 * Built by tests/fuzz/run. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "extractors/text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0)
    return 0;
  size_t max = data[0];
  const char *s = (const char *)data + 1;
  size_t len = size - 1;
  bool valid = text_utf8_valid(s, len);
  size_t cut = text_utf8_truncate(s, len, max);
  if (cut > len)
    abort();
  if (cut > 0 && cut < len && ((uint8_t)s[cut] & 0xC0) == 0x80)
    abort(); /* cut inside a sequence */
  size_t chars = 0;
  for (size_t i = 0; i < cut; i++)
    chars += i == 0 || ((uint8_t)s[i] & 0xC0) != 0x80;
  if (chars > max || (cut < len && chars != max))
    abort();
  /* A prefix of valid UTF-8 cut at a character boundary is valid. */
  if (valid && !text_utf8_valid(s, cut))
    abort();
  return 0;
}
