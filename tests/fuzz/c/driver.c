/* Standalone driver for LLVMFuzzerTestOneInput where clang's libFuzzer runtime is absent:
 * replays every corpus file, then runs N seeded random mutations of them (not coverage-guided).
 * usage: driver SEED RUNS OUT_CRASH_FILE CORPUS_FILE... ; when a sanitizer reports, its death callback
 * writes the input being run to OUT_CRASH_FILE (the reproducer). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sanitizer/common_interface_defs.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t rng;
static uint32_t next_rand(void) {
  rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
  return (uint32_t)rng;
}

static const char *crash_path;
static const uint8_t *cur_data;
static size_t cur_len;

static void save_reproducer(void) {
  FILE *f = fopen(crash_path, "wb");
  if (f) { fwrite(cur_data, 1, cur_len, f); fclose(f); }
}

static void run(const uint8_t *d, size_t n) {
  cur_data = d;
  cur_len = n;
  LLVMFuzzerTestOneInput(d, n);
}

int main(int argc, char **argv) {
  enum { MAX = 1024, SEEDS = 64 };
  static uint8_t seeds[SEEDS][MAX];
  static size_t lens[SEEDS];
  uint8_t cur[MAX];
  int nseeds = 0;
  if (argc < 4) { fprintf(stderr, "usage: %s SEED RUNS CRASH_FILE CORPUS...\n", argv[0]); return 2; }
  rng = strtoull(argv[1], NULL, 10) * 2654435761u + 1;
  long runs = strtol(argv[2], NULL, 10);
  crash_path = argv[3];
  __sanitizer_set_death_callback(save_reproducer);
  for (int i = 4; i < argc && nseeds < SEEDS; i++) {
    FILE *f = fopen(argv[i], "rb");
    if (!f) continue;
    lens[nseeds] = fread(seeds[nseeds], 1, MAX, f);
    fclose(f);
    run(seeds[nseeds], lens[nseeds]);
    nseeds++;
  }
  if (nseeds == 0) { lens[0] = 1; nseeds = 1; }
  for (long r = 0; r < runs; r++) {
    int s = (int)(next_rand() % (uint32_t)nseeds);
    size_t n = lens[s];
    memcpy(cur, seeds[s], n);
    int edits = 1 + (int)(next_rand() % 8);
    for (int e = 0; e < edits; e++) {
      uint32_t op = next_rand() % 4;
      if (op == 0 && n > 0) cur[next_rand() % n] ^= (uint8_t)(1u << (next_rand() % 8));
      else if (op == 1 && n > 0) cur[next_rand() % n] = (uint8_t)next_rand();
      else if (op == 2 && n > 1) n = 1 + next_rand() % n;            /* truncate */
      else if (op == 3 && n < MAX) cur[n++] = (uint8_t)next_rand();   /* extend */
    }
    run(cur, n);
  }
  printf("runs=%ld\n", runs + nseeds);
  return 0;
}
