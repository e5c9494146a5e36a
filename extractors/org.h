/* org: the `project.organisation` rule of the reporting contract, applied to
 * a project owner's Shibboleth attributes (a pickle_dict).  Pure function. */
#ifndef POLLSTER_ORG_H
#define POLLSTER_ORG_H

#include <stddef.h>

#include "extractors/pickle.h"

/* "Walk its keys in sorted order; every key containing `organi` or `orgini`
 * and not containing `type` sets organisation to its value (so the last such
 * key wins).  If none is set, use the domain part of the `mail` attribute."
 *  - sorted order is byte order (strcmp) of the UTF-8 keys, which is Python
 *    2's sorted() for str keys; matching is case-sensitive substring search,
 *    like Python's `in`;
 *  - an empty value still sets organisation (to "");
 *  - the domain part is Python's `mail.split('@')[1]`: the text after the
 *    FIRST '@' up to the next '@' or the end ("a@b@c" -> "b", "a@" -> "");
 *    a mail without '@' or no mail attribute -> no organisation.
 * The result is copied into buf[0..cap) (caller owns; cap >= 1), cut at a
 * character boundary if it does not fit (1021 bytes always hold the 255
 * characters the column keeps).  Returns buf, or NULL when the rule yields
 * nothing (buf is then ""), or when d is NULL. */
const char *org_from_attributes(const pickle_dict *d, char *buf, size_t cap);

#endif
