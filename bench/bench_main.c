/* pollster-bench: benchmark harness (placeholder until the harness lands). */
#include <stdio.h>

int main(void) {
  fprintf(stderr, "pollster-bench: not implemented yet\n");
  return 2;
}
