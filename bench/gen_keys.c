/* gen_keys: load into tables without their secondary keys, then build the
 * keys in one ALTER per table (a sorted bulk build instead of millions of
 * random B-tree inserts; see performance-notes.md).  Tables that take part in
 * a foreign key keep their keys: InnoDB refuses to drop an index an FK uses. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/gen.h"
#include "engine/db.h"

void gen_keys_free(gen_keys *k) {
  if (!k)
    return;
  for (size_t i = 0; i < k->n; i++)
    free(k->add_sql[i]);
  free(k->add_sql);
  k->add_sql = NULL;
  k->n = 0;
}

static char *append(char *s, size_t *len, const char *piece) {
  size_t n = strlen(piece);
  char *t = realloc(s, *len + n + 1);
  if (!t) {
    free(s);
    return NULL;
  }
  memcpy(t + *len, piece, n + 1);
  *len += n;
  return t;
}

/* Flush one table's pending DROP and keep its ADD. */
static ps_status flush_table(MYSQL *m, gen_keys *k, char **drop, char **add, ps_error *err) {
  ps_status s = db_exec(m, *drop, err);
  free(*drop);
  *drop = NULL;
  char **t = s == PS_OK ? realloc(k->add_sql, (k->n + 1) * sizeof *t) : NULL;
  if (!t) {
    free(*add);
    *add = NULL;
    return s != PS_OK ? s : ERROR_SET(err, PS_ENOMEM, "key list");
  }
  k->add_sql = t;
  k->add_sql[k->n++] = *add;
  *add = NULL;
  return PS_OK;
}

ps_status gen_keys_defer(MYSQL *m, const char *db, gen_keys *k, ps_error *err) {
  memset(k, 0, sizeof *k);
  char sql[1024];
  /* Ungrouped, in the server's natural (definition) order, so that the keys
   * are re-added in the order the DDL declares them. */
  snprintf(sql, sizeof sql,
           "SELECT s.table_name, s.index_name, s.non_unique, s.column_name, s.sub_part "
           "FROM information_schema.statistics s "
           "WHERE s.table_schema = '%s' AND s.index_name <> 'PRIMARY' "
           "AND NOT EXISTS (SELECT 1 FROM information_schema.key_column_usage u "
           "  WHERE u.referenced_table_name IS NOT NULL AND "
           "  ((u.table_schema = s.table_schema AND u.table_name = s.table_name) OR "
           "   (u.referenced_table_schema = s.table_schema AND "
           "    u.referenced_table_name = s.table_name)))",
           db);
  if (mysql_query(m, sql) != 0)
    return ERROR_MYSQL(err, m, "reading the keys of %s", db);
  MYSQL_RES *res = mysql_store_result(m);
  if (!res)
    return ERROR_MYSQL(err, m, "reading the keys of %s", db);
  ps_status s = PS_OK;
  char *drop = NULL, *add = NULL;
  size_t dl = 0, al = 0;
  char table[130] = "", index[130] = "";
  MYSQL_ROW row;
  for (;;) {
    row = mysql_fetch_row(res);
    bool new_table = !row || strcmp(row[0], table) != 0;
    bool new_index = new_table || strcmp(row[1], index) != 0;
    if (add && new_index)
      add = append(add, &al, ")");
    if (drop && new_table) {
      if (!add) {
        s = ERROR_SET(err, PS_ENOMEM, "key list");
        goto out;
      }
      s = flush_table(m, k, &drop, &add, err);
      dl = al = 0;
      if (s != PS_OK)
        goto out;
    }
    if (!row)
      break;
    char piece[1024];
    if (new_table) {
      snprintf(table, sizeof table, "%s", row[0]);
      snprintf(piece, sizeof piece, "ALTER TABLE `%s`.`%s` ", db, table);
      drop = append(drop, &dl, piece);
      add = append(add, &al, piece);
    }
    if (new_index) {
      if (!new_table) {
        drop = append(drop, &dl, ", ");
        add = append(add, &al, ", ");
      }
      snprintf(index, sizeof index, "%s", row[1]);
      snprintf(piece, sizeof piece, "DROP KEY `%s`", index);
      drop = append(drop, &dl, piece);
      snprintf(piece, sizeof piece, "ADD %sKEY `%s` (`%s`%s%s%s",
               strcmp(row[2], "0") == 0 ? "UNIQUE " : "", index, row[3], row[4] ? "(" : "",
               row[4] ? row[4] : "", row[4] ? ")" : "");
    } else {
      snprintf(piece, sizeof piece, ", `%s`%s%s%s", row[3], row[4] ? "(" : "",
               row[4] ? row[4] : "", row[4] ? ")" : "");
    }
    add = append(add, &al, piece);
    if (!drop || !add) {
      s = ERROR_SET(err, PS_ENOMEM, "key list");
      goto out;
    }
  }
out:
  free(drop);
  free(add);
  mysql_free_result(res);
  return s;
}

ps_status gen_keys_restore(MYSQL *m, gen_keys *k, ps_error *err) {
  for (size_t i = 0; i < k->n; i++)
    if (db_exec(m, k->add_sql[i], err) != PS_OK)
      return err ? err->status : PS_ESQL;
  return PS_OK;
}
