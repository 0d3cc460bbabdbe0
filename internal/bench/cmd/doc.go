// Command bench runs Updraft's benchmarks (`make bench`): one JSON line per
// figure on stdout, each with a same-run baseline where one applies.
package main
