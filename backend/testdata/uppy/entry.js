// Test-only bundle entry: the real Uppy 6 (@uppy/core + @uppy/aws-s3 from
// package-lock.json) as window globals for backend/uppy_test.go's page.
import Uppy from '@uppy/core'
import AwsS3 from '@uppy/aws-s3'

window.Uppy = Uppy
window.AwsS3 = AwsS3
