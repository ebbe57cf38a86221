/* Dense matrix multiply: the outer loop yields, then multiplies two 96x96 matrices and feeds
 * a column of the product back into the input so iterations depend on each other. */
#include "common.h"

#define N 96

static double a[N][N], b[N][N], c[N][N];

EXPORT("run") int run(int outer) {
    uint32_t seed = 12345;
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < N; j++) {
            seed = seed * 1103515245u + 12345u;
            a[i][j] = (double)((seed >> 16) & 1023) / 1024.0;
            seed = seed * 1103515245u + 12345u;
            b[i][j] = (double)((seed >> 16) & 1023) / 1024.0;
        }
    }
    double sum = 0;
    for (int it = 0; it < outer; it++) {
        host_yield();
        for (int i = 0; i < N; i++) {
            for (int j = 0; j < N; j++) {
                double s = 0;
                for (int k = 0; k < N; k++) {
                    s += a[i][k] * b[k][j];
                }
                c[i][j] = s;
            }
        }
        for (int i = 0; i < N; i++) {
            a[i][it % N] = c[i][(it * 7) % N] * (1.0 / N);
        }
        sum += c[it % N][(it * 3) % N];
    }
    printf("matmul(%d) = %.6f\n", outer, sum);
    fflush(stdout);
    return (int)(int64_t)(sum * 1000.0);
}
