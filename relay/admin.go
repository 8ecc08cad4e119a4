package relay

import (
	"context"
	"io"
)

func adminMain(ctx context.Context, args []string, stdout, stderr io.Writer) int { return 2 }
