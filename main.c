/* pollster: command-line entry point (placeholder until the engine lands). */
#include <stdio.h>
#include <string.h>

#include "engine/db.h"

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "--version") == 0) {
    printf("pollster %s (client library %s)\n", POLLSTER_VERSION, db_client_version());
    return 0;
  }
  fprintf(stderr, "usage: pollster --version\n");
  return 2;
}
