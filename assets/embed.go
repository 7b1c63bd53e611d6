// Package assets holds the files Ferry embeds into its binaries: icons,
// provider logos and the OAuth callback page. Each file is one embed variable
// so that a package only links in what it uses.
package assets

import _ "embed"

// CallbackHTML is the page the sign-in loopback listener shows in the browser
// after the authorization server redirects back. It is an html/template with
// .Title, .Message and .OK; it loads nothing from anywhere (no scripts,
// images, fonts or stylesheets beyond its inline style).
//
//go:embed callback.html
var CallbackHTML string

// IconPNG is the application icon (256×256), also named in FyneApp.toml.
//
//go:embed icon.png
var IconPNG []byte

// IconSVG is the application icon as a vector, for in-app use.
//
//go:embed icon.svg
var IconSVG []byte
