/* fannkuch-redux (the Computer Language Benchmarks Game algorithm): the outer loop yields and
 * then runs one complete fannkuch of size 9. */
#include "common.h"

static int fannkuch(int n, int *checksum_out) {
    int perm[16], perm1[16], count[16];
    int maxflips = 0, checksum = 0, permcount = 0, r = n;
    for (int i = 0; i < n; i++) {
        perm1[i] = i;
    }
    for (;;) {
        while (r != 1) {
            count[r - 1] = r;
            r--;
        }
        for (int i = 0; i < n; i++) {
            perm[i] = perm1[i];
        }
        int flips = 0, k;
        while ((k = perm[0]) != 0) {
            int k2 = (k + 1) >> 1;
            for (int i = 0; i < k2; i++) {
                int t = perm[i];
                perm[i] = perm[k - i];
                perm[k - i] = t;
            }
            flips++;
        }
        if (flips > maxflips) {
            maxflips = flips;
        }
        checksum += (permcount % 2 == 0) ? flips : -flips;
        for (;;) {
            if (r == n) {
                *checksum_out = checksum;
                return maxflips;
            }
            int perm0 = perm1[0];
            for (int i = 0; i < r; i++) {
                perm1[i] = perm1[i + 1];
            }
            perm1[r] = perm0;
            if (--count[r] > 0) {
                break;
            }
            r++;
        }
        permcount++;
    }
}

EXPORT("run") int run(int outer) {
    int total = 0, checksum = 0, maxflips = 0;
    for (int it = 0; it < outer; it++) {
        host_yield();
        maxflips = fannkuch(9, &checksum);
        total += checksum + maxflips;
    }
    printf("fannkuch(9) x %d: checksum %d, max flips %d\n", outer, checksum, maxflips);
    fflush(stdout);
    return total;
}
