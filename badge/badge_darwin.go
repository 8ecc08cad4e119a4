//go:build darwin && cgo

package badge

/*
#cgo CFLAGS: -x objective-c
#cgo LDFLAGS: -framework Cocoa
#include <stdlib.h>
#import <Cocoa/Cocoa.h>

// hush_set_badge sets the dock tile's badge label ("" takes it away). AppKit
// is used from the main thread only: the label is copied here, set there.
static void hush_set_badge(const char *label) {
	@autoreleasepool {
		NSString *s = [NSString stringWithUTF8String:label];
		NSString *text = s.length > 0 ? s : nil;
		dispatch_async(dispatch_get_main_queue(), ^{
			[[NSApp dockTile] setBadgeLabel:text];
		});
	}
}
*/
import "C"

import (
	"context"
	"strconv"
	"unsafe"
)

// platform needs no state: the dock tile is the application's. This file
// compiles only on macOS, which cannot be built where Hush is developed; it is
// kept to the one call.
type platform struct{}

// set writes the whole number: the dock sizes its badge to the text.
func (platform) set(_ context.Context, _ Options, count int) error {
	label := ""
	if count > 0 {
		label = strconv.Itoa(count)
	}
	cs := C.CString(label)
	defer C.free(unsafe.Pointer(cs))
	C.hush_set_badge(cs)
	return nil
}

func (platform) close() error { return nil }
