/*
 * lib/parse.h - the one number parser and the one comma-list walker.
 *
 * Shell commands, boot options, fault-injection specs, fragmentation
 * patterns and page-types dumps all read unsigned numbers; ktest= and
 * bench= read comma lists of names. Each did it with its own loop; these
 * are the shared versions. Portable C with no allocation and no libc
 * beyond <string.h>, so mm/ (which also compiles on the host), kernel/
 * and the host tools use the same code.
 *
 * Numbers: digits of one base (10 or 16), at least one, no sign, no
 * spaces; a value that does not fit in 64 bits is refused, never wrapped.
 * Base 16 accepts an optional 0x/0X prefix; base 0 means "16 if the text
 * starts with 0x, else 10" (no octal). The output is written only on
 * success.
 */
#ifndef LIB_PARSE_H
#define LIB_PARSE_H

#include <kernel/compiler.h>

/*
 * Parse an unsigned number in @base (0, 10 or 16) at *@s, advancing *@s
 * past it; false (nothing advanced or stored) if there is no digit or the
 * value overflows 64 bits.
 */
bool parse_u64(const char **s, unsigned int base, uint64_t *v);

/* The whole of @s is one number in @base (see parse_u64()); false otherwise. */
bool parse_u64_str(const char *s, unsigned int base, uint64_t *v);

/*
 * Walk the comma-separated list at *@cur: stores the next item (not
 * NUL-terminated, possibly empty) in *@item / *@len and moves *@cur past
 * it; false when the list is used up (*@cur NULL). "a,,b" gives "a", "",
 * "b"; "" gives one empty item. Start with *@cur = the list.
 */
bool list_next_item(const char **cur, const char **item, size_t *len);

/* Is the item [@item, @item + @len) exactly @name? */
bool list_item_is(const char *item, size_t len, const char *name);

#endif
