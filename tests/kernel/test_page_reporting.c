/*
 * test_page_reporting.c - free page reporting in the running kernel, with
 * a fake device (the QEMU device is not needed): a pass over real memory
 * reports in bounded batches, blocks are off the free lists while
 * reported, come back PageReported, lose the flag when reused, and the
 * allocator's invariants hold throughout.
 */
#include <kernel/ktest.h>
#include <mm/page_alloc.h>
#include <mm/page_reporting.h>
#include <errno.h>

static unsigned long kt_calls, kt_bad, kt_blocks;

/* The fake device: each entry must be a whole block that is out of the buddy. */
static int kt_report(struct page_reporting_dev_info *prdev,
		     const struct page_reporting_entry *ents, unsigned int n)
{
	kt_calls++;
	if (n == 0 || n > prdev->capacity)
		kt_bad++;
	for (unsigned int i = 0; i < n; i++) {
		struct page *p = pfn_to_page(ents[i].pfn);

		if (ents[i].order < prdev->order || (ents[i].pfn & ((1UL << ents[i].order) - 1)) ||
		    PageBuddy(p) || page_ref_count(p) || PageReported(p))
			kt_bad++;
	}
	kt_blocks += n;
	return 0;
}

/* Expect a pass to report free memory in batches of <= 8, then nothing more, and reuse to clear the flag. */
static void test_reporting_pass(struct ktest *t)
{
	struct page_reporting_dev_info dev = { .report = kt_report, .capacity = 8 };
	struct page *blocks[32];
	int n = 0;
	long r;

	if (page_reporting_device()) {
		ktest_skip(t, "a reporting device is registered already");
		return;
	}
	kt_calls = kt_bad = kt_blocks = 0;
	/* make sure some order-9 blocks are free and unreported */
	while (n < 32 && (blocks[n] = alloc_pages(GFP_KERNEL | __GFP_NOWARN | __GFP_NORETRY,
						   pageblock_order)) != NULL)
		n++;
	KT_ASSERT(t, n > 0);
	for (int i = 0; i < n; i++)
		__free_pages(blocks[i], pageblock_order);
	KT_ASSERT_EQ(t, page_reporting_register(&dev), 0);
	r = page_reporting_process();
	KT_EXPECT(t, r > 0);
	for (int i = 0; i < 50 && r > 0; i++)
		r = page_reporting_process();
	KT_EXPECT_EQ(t, r, 0);
	KT_EXPECT_EQ(t, kt_bad, 0);
	KT_EXPECT_EQ(t, dev.reported_blocks, kt_blocks);
	KT_EXPECT(t, page_reporting_count_reported() > 0);
	KT_EXPECT_EQ(t, mm_check_invariants(), 0);
	/* reused blocks come out clean, and are reported again once freed */
	n = 0;
	while (n < 32 && (blocks[n] = alloc_pages(GFP_KERNEL | __GFP_NOWARN | __GFP_NORETRY,
						   pageblock_order)) != NULL) {
		KT_EXPECT(t, !PageReported(blocks[n]));
		KT_EXPECT_EQ(t, blocks[n]->flags, 0);
		n++;
	}
	KT_EXPECT(t, n > 0);
	for (int i = 0; i < n; i++)
		__free_pages(blocks[i], pageblock_order);
	kt_blocks = 0;
	KT_EXPECT(t, page_reporting_process() > 0);
	KT_EXPECT_EQ(t, kt_bad, 0);
	KT_EXPECT_EQ(t, mm_check_invariants(), 0);
	page_reporting_unregister(&dev);
	KT_EXPECT(t, page_reporting_device() == NULL);
}

/* Expect a second registration to be refused while one device is registered. */
static void test_reporting_single_device(struct ktest *t)
{
	struct page_reporting_dev_info a = { .report = kt_report }, b = { .report = kt_report };

	if (page_reporting_device()) {
		ktest_skip(t, "a reporting device is registered already");
		return;
	}
	KT_ASSERT_EQ(t, page_reporting_register(&a), 0);
	KT_EXPECT_EQ(t, page_reporting_register(&b), -EBUSY);
	page_reporting_unregister(&a);
	KT_EXPECT(t, page_reporting_device() == NULL);
}

KTEST_SUITE(page_reporting, KTEST_CASE(test_reporting_pass), KTEST_CASE(test_reporting_single_device));
