/* list.h - intrusive circular doubly linked lists, Linux style. */
#ifndef KERNEL_LIST_H
#define KERNEL_LIST_H

#include <kernel/compiler.h>

struct list_head {
	struct list_head *next, *prev;
};

#define LIST_HEAD_INIT(name) { &(name), &(name) }
#define LIST_HEAD(name) struct list_head name = LIST_HEAD_INIT(name)

/* Make @h an empty list. */
static inline void INIT_LIST_HEAD(struct list_head *h) { WRITE_ONCE(h->next, h); h->prev = h; }

static inline void __list_add(struct list_head *n, struct list_head *prev,
			      struct list_head *next)
{
	next->prev = n;
	n->next = next;
	n->prev = prev;
	WRITE_ONCE(prev->next, n);	/* list_empty() may look without the lock */
}

/* Insert @n right after @head (stack order). */
static inline void list_add(struct list_head *n, struct list_head *head)
{ __list_add(n, head, head->next); }

/* Insert @n right before @head (queue order). */
static inline void list_add_tail(struct list_head *n, struct list_head *head)
{ __list_add(n, head->prev, head); }

#define LIST_POISON1 ((struct list_head *)0xdead000000000100ULL)
#define LIST_POISON2 ((struct list_head *)0xdead000000000122ULL)

/* Unlink @e; its pointers are poisoned so a stale use faults. */
static inline void list_del(struct list_head *e)
{
	e->next->prev = e->prev;
	WRITE_ONCE(e->prev->next, e->next);
	e->next = LIST_POISON1;
	e->prev = LIST_POISON2;
}

/* Unlink @e and leave it as an empty list. */
static inline void list_del_init(struct list_head *e)
{
	e->next->prev = e->prev;
	WRITE_ONCE(e->prev->next, e->next);
	INIT_LIST_HEAD(e);
}

/* Move @e to the front of @head. */
static inline void list_move(struct list_head *e, struct list_head *head)
{ list_del(e); list_add(e, head); }

/* Move @e to the back of @head. */
static inline void list_move_tail(struct list_head *e, struct list_head *head)
{ list_del(e); list_add_tail(e, head); }

/* A snapshot when read without the list's lock (e.g. a watermark check). */
static inline bool list_empty(const struct list_head *h) { return READ_ONCE(h->next) == h; }

/* Move all entries of @list to the front of @head; @list becomes empty. */
static inline void list_splice_init(struct list_head *list, struct list_head *head)
{
	if (list_empty(list))
		return;
	struct list_head *first = list->next, *last = list->prev, *at = head->next;
	first->prev = head;
	head->next = first;
	last->next = at;
	at->prev = last;
	INIT_LIST_HEAD(list);
}

#define list_entry(ptr, type, member) container_of(ptr, type, member)
#define list_first_entry(h, type, member) list_entry((h)->next, type, member)
#define list_last_entry(h, type, member) list_entry((h)->prev, type, member)
#define list_for_each(pos, head) \
	for (pos = (head)->next; pos != (head); pos = pos->next)
#define list_for_each_entry(pos, head, member) \
	for (pos = list_entry((head)->next, __typeof__(*pos), member); \
	     &pos->member != (head); \
	     pos = list_entry(pos->member.next, __typeof__(*pos), member))
#define list_for_each_entry_safe(pos, n, head, member) \
	for (pos = list_entry((head)->next, __typeof__(*pos), member), \
	     n = list_entry(pos->member.next, __typeof__(*pos), member); \
	     &pos->member != (head); \
	     pos = n, n = list_entry(n->member.next, __typeof__(*n), member))

#endif
