// Coroutines entirely inside WebAssembly: three generators run round-robin from `main`, each
// on its own asyncify buffer and C stack (include/asyncify_coro.h). No host support: the same
// module runs in node (node:wasi) and in wasmtime.
//
// Build and run: see build.sh in this directory.
#include <stdio.h>
#include <string.h>

#include "asyncify_coro.h"

// Fibonacci numbers below a limit.
static void fibonacci(struct asyncify_coro *co, void *arg) {
  long limit = *(long *)arg;
  long a = 0, b = 1;
  while (a < limit) {
    asyncify_coro_yield(co, a);
    long next = a + b;
    a = b;
    b = next;
  }
}

// In-order walk of a binary tree: the recursion is paused with all its frames at every node.
struct node {
  int value;
  struct node *left, *right;
};

static void walk(struct asyncify_coro *co, struct node *node) {
  if (!node) return;
  walk(co, node->left);
  asyncify_coro_yield(co, node->value);
  walk(co, node->right);
}

static void tree_walker(struct asyncify_coro *co, void *arg) {
  walk(co, arg);
}

// Words of a sentence, copied one at a time into a buffer on the coroutine's own C stack; the
// consumer reads the buffer through the yielded pointer while the coroutine is suspended.
static void words(struct asyncify_coro *co, void *arg) {
  const char *text = arg;
  char word[32];
  while (*text) {
    size_t length = strcspn(text, " ");
    if (length >= sizeof word) length = sizeof word - 1;
    memcpy(word, text, length);
    word[length] = '\0';
    asyncify_coro_yield(co, (intptr_t)word);
    text += length;
    text += strspn(text, " ");
  }
}

static char memory[3][16384];

int main(void) {
  struct node leaves[] = {{1, 0, 0}, {3, 0, 0}, {5, 0, 0}, {7, 0, 0}};
  struct node middle[] = {{2, &leaves[0], &leaves[1]}, {6, &leaves[2], &leaves[3]}};
  struct node root = {4, &middle[0], &middle[1]};
  long limit = 30;

  struct asyncify_coro co[3];
  asyncify_coro_init(&co[0], fibonacci, &limit, memory[0], sizeof memory[0]);
  asyncify_coro_init(&co[1], tree_walker, &root, memory[1], sizeof memory[1]);
  asyncify_coro_init(&co[2], words, "pause and resume in pure wasm", memory[2], sizeof memory[2]);

  int running = 3;
  for (int round = 1; running > 0; round++) {
    running = 0;
    for (int i = 0; i < 3; i++) {
      int status = asyncify_coro_resume(&co[i]);
      if (status < 0) {
        printf("coroutine %d overflowed its memory\n", i);
        return 1;
      }
      if (status == 0) continue;
      running++;
      if (i == 0) printf("round %d: fibonacci %ld\n", round, (long)co[i].value);
      if (i == 1) printf("round %d: tree %ld\n", round, (long)co[i].value);
      if (i == 2) printf("round %d: word \"%s\"\n", round, (const char *)co[i].value);
    }
  }
  printf("all coroutines finished\n");
  return 0;
}
