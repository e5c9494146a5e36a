#include <criterion/criterion.h>
#include <errmsg.h>
#include <mysqld_error.h>
#include <string.h>

#include "engine/status.h"

Test(status, every_code_has_a_distinct_message_and_name) {
  for (int i = 0; i < PS__STATUS_COUNT; i++) {
    cr_assert(status_str((ps_status)i)[0] != '\0');
    cr_assert(strncmp(status_name((ps_status)i), "PS_", 3) == 0);
    for (int j = 0; j < i; j++) {
      cr_assert(strcmp(status_str((ps_status)i), status_str((ps_status)j)) != 0,
                "codes %d and %d share a message", i, j);
      cr_assert(strcmp(status_name((ps_status)i), status_name((ps_status)j)) != 0);
    }
  }
}

Test(status, out_of_range_is_safe) {
  cr_assert_str_eq(status_str((ps_status)-1), "unknown status");
  cr_assert_str_eq(status_str(PS__STATUS_COUNT), "unknown status");
  cr_assert_str_eq(status_name((ps_status)9999), "PS_UNKNOWN");
  cr_assert(!status_is_transient((ps_status)9999));
}

Test(status, transient_codes) {
  cr_assert(status_is_transient(PS_ECONNLOST));
  cr_assert(status_is_transient(PS_ECONNECT));
  cr_assert(status_is_transient(PS_ELOCK));
  cr_assert(status_is_transient(PS_EREPLAN));
  cr_assert(!status_is_transient(PS_OK));
  cr_assert(!status_is_transient(PS_ESQL));
  cr_assert(!status_is_transient(PS_EACCESS));
  cr_assert(!status_is_transient(PS_ECONFIG));
}

Test(status, db_errno_mapping) {
  cr_assert_eq(status_from_db_errno(0), PS_OK);
  cr_assert_eq(status_from_db_errno(CR_SERVER_GONE_ERROR), PS_ECONNLOST);
  cr_assert_eq(status_from_db_errno(CR_SERVER_LOST), PS_ECONNLOST);
  cr_assert_eq(status_from_db_errno(ER_CONNECTION_KILLED), PS_ECONNLOST);
  cr_assert_eq(status_from_db_errno(ER_LOCK_WAIT_TIMEOUT), PS_ELOCK);
  cr_assert_eq(status_from_db_errno(ER_LOCK_DEADLOCK), PS_ELOCK);
  cr_assert_eq(status_from_db_errno(ER_ACCESS_DENIED_ERROR), PS_EACCESS);
  cr_assert_eq(status_from_db_errno(ER_PARSE_ERROR), PS_ESQL);
  cr_assert_eq(status_from_db_errno(ER_NO_SUCH_TABLE), PS_ESCHEMA);
  cr_assert_eq(status_from_db_errno(ER_NET_PACKET_TOO_LARGE), PS_ETOOBIG);
  cr_assert_eq(status_from_db_errno(CR_CONN_HOST_ERROR), PS_ECONNECT);
}

Test(status, error_set_records_location_and_message) {
  ps_error e;
  error_clear(&e);
  cr_assert_eq(e.status, PS_OK);
  int line = __LINE__ + 1;
  ps_status s = ERROR_SET(&e, PS_EDATA, "row %d of %s", 7, "instance");
  cr_assert_eq(s, PS_EDATA);
  cr_assert_eq(e.status, PS_EDATA);
  cr_assert_eq(e.line, line);
  cr_assert(strstr(e.file, "test_status.c") != NULL);
  cr_assert_str_eq(e.msg, "row 7 of instance");
  error_prefix(&e, "job %s", "instance");
  cr_assert_str_eq(e.msg, "job instance: row 7 of instance");
  /* NULL error record: status still returned. */
  cr_assert_eq(ERROR_SET(NULL, PS_EIO, "x"), PS_EIO);
  error_clear(NULL);
}

Test(status, long_messages_are_truncated_not_overflowed) {
  ps_error e;
  char big[4000];
  memset(big, 'x', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  ERROR_SET(&e, PS_EIO, "%s", big);
  cr_assert_eq(strlen(e.msg), sizeof e.msg - 1);
  error_prefix(&e, "%s", big);
  cr_assert_eq(strlen(e.msg), sizeof e.msg - 1);
}
