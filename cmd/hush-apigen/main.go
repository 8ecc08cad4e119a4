// Command hush-apigen writes the UI's side of the contract with package app:
// frontend/src/lib/api/contract.gen.ts (types, decoders, events, the service
// table, the rules and the message status progression), the generated sections
// of docs/API.md and the JSON samples the decoders are tested with. Run it from
// the repository root (make generate); see package hush/internal/apigen for
// what it reads and why.
package main

import (
	"flag"
	"fmt"
	"os"

	"hush/internal/apigen"
)

func main() {
	root := flag.String("root", ".", "the repository root")
	flag.Parse()
	changed, err := apigen.Write(*root)
	if err != nil {
		fmt.Fprintln(os.Stderr, "hush-apigen:", err)
		os.Exit(1)
	}
	if len(changed) == 0 {
		fmt.Println("hush-apigen: every file is current")
		return
	}
	for _, p := range changed {
		fmt.Println("hush-apigen: wrote", p)
	}
}
