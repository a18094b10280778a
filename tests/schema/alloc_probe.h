/* alloc_probe.h - watches the heap allocations a piece of code makes (schema tests only).
 *
 * The decoders promise never to allocate from an unchecked length ("5 bytes asking for 4 GB"
 * must not reach malloc). Under AddressSanitizer (the test build) the sanitizer's malloc hook
 * records the count and the largest size of the allocations made between alloc_probe_start()
 * and alloc_probe_stop(). Without ASan the probe is not available: alloc_probe_active() is
 * false and the tests skip those assertions. Single-threaded use.
 */
#ifndef USCHAT_TEST_ALLOC_PROBE_H
#define USCHAT_TEST_ALLOC_PROBE_H

#include <stdbool.h>
#include <stddef.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ALLOC_PROBE_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define ALLOC_PROBE_ASAN 1
#endif

static volatile bool alloc_probe_on;
static size_t alloc_probe_count_;
static size_t alloc_probe_max_;

#ifdef ALLOC_PROBE_ASAN
#if defined(__has_include) && __has_include(<sanitizer/allocator_interface.h>)
#include <sanitizer/allocator_interface.h>
#else
/* gcc's ASan runtime has the hook but Debian's gcc does not ship the header. */
int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void *, size_t),
                                              void (*free_hook)(const volatile void *));
#endif

static inline void alloc_probe_malloc_hook(const volatile void *ptr, size_t size)
{
    (void)ptr;
    if (!alloc_probe_on)
        return;
    alloc_probe_count_++;
    if (size > alloc_probe_max_)
        alloc_probe_max_ = size;
}

static inline void alloc_probe_free_hook(const volatile void *ptr)
{
    (void)ptr;
}

static inline bool alloc_probe_active(void)
{
    static bool installed;
    if (!installed)
        installed = __sanitizer_install_malloc_and_free_hooks(alloc_probe_malloc_hook,
                                                              alloc_probe_free_hook) != 0;
    return installed;
}
#else
static inline bool alloc_probe_active(void)
{
    return false;
}
#endif

static inline void alloc_probe_start(void)
{
    (void)alloc_probe_active();
    alloc_probe_count_ = 0;
    alloc_probe_max_ = 0;
    alloc_probe_on = true;
}

static inline void alloc_probe_stop(void)
{
    alloc_probe_on = false;
}

/* Allocations seen between start and stop, and the largest one's size. */
static inline size_t alloc_probe_count(void)
{
    return alloc_probe_count_;
}

static inline size_t alloc_probe_max(void)
{
    return alloc_probe_max_;
}

#endif
