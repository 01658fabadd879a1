export { EvidenceStoreError, isEvidenceStoreError, type EvidenceStoreErrorCode } from './errors.js';
export { blobKey, checkSha256, type BlobAddress, type BlobStore } from './blob-store.js';
export { DiskBlobStore, type DiskBlobStoreOptions } from './disk-blob-store.js';
export { encodeGrayPng, frameBlob, hasPngSignature, pngSize, PNG_SIGNATURE, windowBlob } from './content.js';
