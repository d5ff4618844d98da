/**
 * Generated from the server's OpenAPI document (apps/server/src/api/schemas.ts) by openapi-typescript.
 * Do not edit: run `pnpm --filter @psitransfer/server gen:api-types` (a test fails while it is stale).
 */
export interface paths {
    "/config.json": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** What the web client needs to know */
        get: operations["getClientConfig"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/lang.json": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * PsiTransfer's translation object and the web app's messages
         * @description Language from `?lang`, else `Accept-Language`, else `defaultLanguage`.
         */
        get: operations["getLanguage"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/{sid}.json": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A bucket's listing (complete, unexpired files)
         * @description A protected bucket needs `x-download-pass`; its URLs then carry a short-lived `?token=`.
         */
        get: operations["getBucket"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/data.json": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Every bucket in PsiTransfer's admin shape */
        get: operations["getPsiAdminData"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/data.json": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Every bucket with totals (the web admin page) */
        get: operations["getAdminData"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/files/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Deletes a file (`{sid}++{key}`) */
        delete: operations["adminDeleteFile"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/buckets/{sid}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Deletes every file of a bucket */
        delete: operations["adminDeleteBucket"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/manage/{sid}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The bucket's files with download counts, limits and expiry */
        get: operations["getManageState"];
        put?: never;
        /** A new manage secret for the bucket's uploader (an older one stops working) */
        post: operations["issueManageLink"];
        /** Deletes every file of the bucket (the id stays taken until maxAge) */
        delete: operations["deleteManagedBucket"];
        options?: never;
        head?: never;
        /** Changes the expiry, the password or the lock of every file */
        patch: operations["editBucket"];
        trace?: never;
    };
    "/api/manage/{sid}/files/{key}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Deletes one file of the bucket */
        delete: operations["deleteManagedFile"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/manage/{sid}/mail": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Mails the share link (never the manage link); 404 without `smtpUrl` */
        post: operations["mailShareLink"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/requests": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Makes an upload request: a link others upload through, into a bucket the requester manages */
        post: operations["createUploadRequest"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/requests/{sid}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** What the request allows and what is left (for whoever holds the request link) */
        get: operations["getUploadRequest"];
        put?: never;
        post?: never;
        /** Closes the request: its link takes no more files (those already sent stay) */
        delete: operations["closeUploadRequest"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/direct/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Creates a direct-to-S3 upload (404 when the store does not offer them) */
        post: operations["createDirectUpload"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/direct/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The plan and the parts S3 holds */
        get: operations["getDirectUpload"];
        put?: never;
        post?: never;
        /** Abandons an unfinished upload */
        delete: operations["abortDirectUpload"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/direct/{id}/parts": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** A URL to PUT each part to */
        post: operations["signDirectParts"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/direct/{id}/complete": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Completes the upload once S3 holds every part (idempotent) */
        post: operations["completeDirectUpload"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/openapi.json": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** This document */
        get: operations["getOpenApi"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/healthz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The store answers */
        get: operations["getHealth"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        ManageEdit: {
            /** @description New expiry (ms), in the future */
            expiresAt?: number;
            /** @description A new bucket password, or `null` to remove it */
            password?: string | null;
            locked?: boolean;
            /** @description The uploader's address for the first-download notice; `null` or empty removes it */
            notifyEmail?: string | null;
            /** @description Language of that notice */
            lang?: string;
        };
        ManageMail: {
            /** @description One plain address, `name@example.com` */
            to: string;
            message?: string;
            lang?: string;
        };
        DirectCreate: {
            size: number;
            /** @description The TUS `Upload-Metadata` keys (`sid`, `name`, `retention`, `password`, …) */
            metadata?: {
                [key: string]: string;
            };
        };
        DirectPartsRequest: {
            partNumbers: number[];
        };
        RequestCreate: {
            /** @description Total bytes the request takes */
            maxBytes?: number | null;
            /** @description Files the request takes */
            maxFiles?: number | null;
            /** @description When the link closes (ms); default maxAge */
            expiresAt?: number | null;
            /** @description Retention of the files (a key of `retentions`) */
            retention?: string;
            /** @description Shown to whoever opens the link */
            message?: string;
            /** @description The requester's address for notices (needs smtpUrl) */
            notify?: string | null;
            /** @description The bucket's password; made by the server when absent */
            password?: string;
            /** @description Language of the notices */
            lang?: string;
        };
        /** @description Every JSON error answer (status from the code, API.md "Conventions") */
        ErrorBody: {
            /** @enum {string} */
            code: "INVALID_INPUT" | "INVALID_ID" | "INVALID_NAME" | "UNAUTHORIZED" | "FORBIDDEN" | "NOT_FOUND" | "METHOD_NOT_ALLOWED" | "OFFSET_MISMATCH" | "GONE" | "LENGTH_REQUIRED" | "UNSUPPORTED_VERSION" | "TIMEOUT" | "TOO_LARGE" | "UNSUPPORTED_MEDIA_TYPE" | "RANGE_NOT_SATISFIABLE" | "UPLOAD_LOCKED" | "BUCKET_LOCKED" | "RATE_LIMITED" | "CHECKSUM_MISMATCH" | "ABORTED" | "INTERNAL" | "STORE_UNAVAILABLE" | "BUSY" | "STORAGE_FULL" | "STORE_MISCONFIGURED";
            /** @description For people; never a path, a stack or a secret */
            message: string;
        };
        ClientConfig: {
            /** @description Label per retention key (`one-time` or seconds) */
            retentions: {
                [key: string]: string;
            };
            /** @description Display order of `retentions` */
            retentionOrder: string[];
            defaultRetention: string;
            /** @description The uploader may pick an expiry date (Upload-Metadata `expiresAt`) within `maxAge` */
            customExpiry: boolean;
            /** @description Seconds a file may live at most; `null`: no limit */
            maxAge: number | null;
            /** @description The retention `until-deleted` (no expiry) is accepted */
            untilDeleted: boolean;
            mailTemplate: string;
            requireBucketPassword: boolean;
            maxFileSize: number | null;
            maxBucketSize: number | null;
            disableQrCode: boolean;
            /** @description The web app may offer end-to-end encryption */
            e2e: boolean;
            /** @description The server can mail share links (`smtpUrl` is configured) */
            mail: boolean;
            maxPreviewSize: number;
            tusEndpoint: string;
            chunkSize: number;
            /** @description Direct-to-S3 uploads for files of at least `minSize` bytes; `null` when not offered */
            directUpload: {
                endpoint: string;
                minSize: number;
            } | null;
            randomDownloadSidLength: number;
            defaultLanguage: string;
            languages: ("de" | "el" | "en" | "es" | "fr" | "it" | "ja" | "ko" | "nl" | "pl" | "pt" | "ru" | "sv" | "tr" | "zh" | "zh-tw")[];
        };
        /** @description PsiTransfer's translation object (`langCode`, text keys, `retentions`) and ours (`lang`, `messages`) */
        LangJson: {
            /** @enum {string} */
            langCode: "de" | "el" | "en" | "es" | "fr" | "it" | "ja" | "ko" | "nl" | "pl" | "pt" | "ru" | "sv" | "tr" | "zh" | "zh-tw";
            oldBrowserError: string;
            dropFilesHere: string;
            noPreviewAvailable: string;
            preview: string;
            comment: string;
            settings: string;
            retention: string;
            password: string;
            required: string;
            optional: string;
            generateRandomPassword: string;
            newUpload: string;
            accessDenied: string;
            login: string;
            email: string;
            clipboard: string;
            copyToClipboard: string;
            sendViaMail: string;
            showQrCode: string;
            uploadCompleted: string;
            downloadLink: string;
            upload: string;
            retry: string;
            createNewUploadSession: string;
            decrypt: string;
            files: string;
            zipDownload: string;
            tarGzDownload: string;
            oneTimeDownloadExpired: string;
            fileSizeExceed: string;
            bucketSizeExceed: string;
            mailInvalid: string;
            mailTo: string;
            mailToPlaceholder: string;
            mailFrom: string;
            mailFromPlaceholder: string;
            mailMessage: string;
            mailDownloadNotification: string;
            mailSendBtn: string;
            mailsSent: string;
            mailSubjectUploader: string;
            mailSubjectDownloader: string;
            mailSubjectFileDownloaded: string;
            uploadPassword: string;
            retentions: {
                [key: string]: string;
            };
            /** @enum {string} */
            lang: "de" | "el" | "en" | "es" | "fr" | "it" | "ja" | "ko" | "nl" | "pl" | "pt" | "ru" | "sv" | "tr" | "zh" | "zh-tw";
            messages: {
                [key: string]: string;
            };
        };
        PsiMetadata: {
            sid: string;
            /** @description Absent in admin records of protected files */
            key?: string;
            name: string;
            comment: string;
            type: string;
            /** @description `one-time`, `until-deleted` or seconds, as a string */
            retention: string;
            relativePath: string;
            /** @description Milliseconds since the epoch, as a decimal string */
            createdAt: string;
            uploadLength?: string;
            lastDownload?: number;
            /**
             * @description PsiTransfer's spelling
             * @constant
             */
            buckedLocked?: true;
            /**
             * @description Admin records only: the file has a password
             * @constant
             */
            _password?: true;
        };
        /** @description A PsiTransfer stored record (never a password) */
        PsiRecord: {
            key?: string;
            /** @description `null` while deferred */
            uploadLength: number | null;
            size: number;
            offset: number;
            /**
             * @description Only while the upload is unfinished
             * @constant
             */
            isPartial?: true;
            metadata: components["schemas"]["PsiMetadata"];
        };
        BucketItem: {
            key: string;
            /** @description `null` while deferred */
            uploadLength: number | null;
            size: number;
            offset: number;
            /**
             * @description Only while the upload is unfinished
             * @constant
             */
            isPartial?: true;
            metadata: components["schemas"]["PsiMetadata"];
            /** @description Download URL (with `?token=` in a protected bucket) */
            url: string;
            name: string;
            relativePath: string;
            comment: string;
            type: string;
            createdAt: number;
            expiresAt: number | null;
            oneTime: boolean;
            downloaded: boolean;
            /** @description Complete downloads left; `null` when unlimited */
            downloadsLeft: number | null;
            /** @constant */
            encrypted?: true;
            /** @description Sealed metadata of an end-to-end encrypted file (base64url) */
            e2e?: string;
        };
        BucketListing: {
            items: components["schemas"]["BucketItem"][];
            archiveToken: string;
            config: {
                maxPreviewSize: number;
            };
            sid: string;
            zipUrl: string;
            tarGzUrl: string;
            protected: boolean;
            /** @constant */
            encrypted?: true;
        };
        /** @description PsiTransfer's admin shape: bucket id → its records */
        PsiAdminData: {
            [key: string]: components["schemas"]["PsiRecord"][];
        };
        AdminFile: {
            key: string;
            name: string;
            relativePath: string;
            size: number;
            uploadLength: number | null;
            offset: number;
            complete: boolean;
            createdAt: number;
            expiresAt: number | null;
            lastDownload: number | null;
            downloads: number;
            oneTime: boolean;
            type: string;
            comment: string;
        };
        AdminBucket: {
            sid: string;
            createdAt: number;
            lastDownload: number | null;
            expiresAt: number | null;
            size: number;
            protected: boolean;
            locked: boolean;
            files: components["schemas"]["AdminFile"][];
        };
        AdminData: {
            buckets: components["schemas"]["AdminBucket"][];
            totals: {
                buckets: number;
                files: number;
                bytes: number;
            };
        };
        ManageLink: {
            manageToken: string;
            /** @description `{origin}{B}manage/{sid}#{manageToken}` */
            manageUrl: string;
        };
        ManagedFile: {
            key: string;
            name: string;
            relativePath: string;
            type: string;
            size: number;
            createdAt: number;
            expiresAt: number | null;
            /** @description Latest expiry allowed (`createdAt + maxAge`); `null` without maxAge */
            maxExpiresAt: number | null;
            oneTime: boolean;
            downloads: number;
            lastDownload: number | null;
            downloadLimit: number | null;
            downloadsLeft: number | null;
        };
        ManageState: {
            sid: string;
            shareUrl: string;
            locked: boolean;
            protected: boolean;
            expiresAt: number | null;
            /** @description Seconds a file may live at most; `null`: no limit */
            maxAge: number | null;
            /** @description The upload request this bucket was made for */
            request?: components["schemas"]["RequestInfo"] | null;
            /** @description The server sends e-mail (share links, the first-download notice) */
            mail: boolean;
            /** @description The uploader's address for the first-download notice */
            notifyEmail: string | null;
            /** @description When the bucket was first downloaded completely */
            firstDownloadAt: number | null;
            files: components["schemas"]["ManagedFile"][];
        };
        RequestInfo: {
            sid: string;
            message: string;
            expiresAt: number | null;
            maxBytes: number | null;
            maxFiles: number | null;
            retention: string;
            closed: boolean;
            expired: boolean;
            files: number;
            bytes: number;
            filesLeft: number | null;
            bytesLeft: number | null;
            maxFileSize: number | null;
            /** @description The requester gets a notice per file */
            notify: boolean;
            tusEndpoint: string;
            chunkSize: number;
        };
        RequestMade: {
            sid: string;
            message: string;
            expiresAt: number | null;
            maxBytes: number | null;
            maxFiles: number | null;
            retention: string;
            closed: boolean;
            expired: boolean;
            files: number;
            bytes: number;
            filesLeft: number | null;
            bytesLeft: number | null;
            maxFileSize: number | null;
            /** @description The requester gets a notice per file */
            notify: boolean;
            tusEndpoint: string;
            chunkSize: number;
            /** @description `{origin}{B}request/{sid}#{requestToken}`: for whoever should upload */
            requestUrl: string;
            requestToken: string;
            /** @description The requester's manage link of the bucket the files land in */
            manageUrl: string;
            manageToken: string;
            shareUrl: string;
            /** @description The bucket's password, when the server made it (shown once) */
            password?: string;
        };
        MailQueued: {
            /** @constant */
            queued: true;
        };
        DirectCreated: {
            /** @description `{sid}++{key}` */
            id: string;
            partSize: number;
            partCount: number;
            expiresAt: number | null;
        };
        DirectParts: {
            /** @description Seconds each URL is valid */
            expiresIn: number;
            urls: {
                partNumber: number;
                url: string;
            }[];
        };
        DirectStatus: {
            id: string;
            size: number;
            complete: boolean;
            expiresAt: number | null;
            partSize: number;
            partCount: number;
            parts: {
                partNumber: number;
                size: number;
            }[];
        };
        PublicFile: {
            sid: string;
            key: string;
            name: string;
            relativePath: string;
            comment: string;
            type: string;
            size: number;
            retention: string | number;
            createdAt: number;
            expiresAt: number | null;
            protected: boolean;
        };
        Health: {
            /** @enum {string} */
            status: "ok" | "unavailable" | "shutting down";
            /** @description The storage type (`filesystem`, `s3`, …) */
            store?: string;
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    getClientConfig: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The configuration */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ClientConfig"];
                };
            };
            /** @description Credentials missing */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Credentials wrong */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Too many attempts (Retry-After) */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    getLanguage: {
        parameters: {
            query?: {
                /** @description A language code (`de`, `zh-tw`, …) */
                lang?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The texts */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["LangJson"];
                };
            };
        };
    };
    getBucket: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Bucket id, `[A-Za-z0-9][A-Za-z0-9_-]{0,63}` */
                sid: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The listing */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["BucketListing"];
                };
            };
            /** @description Malformed request, id or body */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Credentials missing */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Unknown, expired, or not offered by this server */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Too many attempts (Retry-After) */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Busy or the store does not answer (Retry-After) */
            503: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    getPsiAdminData: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Bucket id → records */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PsiAdminData"];
                };
            };
            /** @description Credentials missing */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Credentials wrong */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Unknown, expired, or not offered by this server */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Too many attempts (Retry-After) */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    getAdminData: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Buckets, newest first */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AdminData"];
                };
            };
            /** @description Credentials missing */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Credentials wrong */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Unknown, expired, or not offered by this server */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Too many attempts (Retry-After) */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    adminDeleteFile: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description A file or upload id, `{sid}++{key}` */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Deleted */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Malformed request, id or body */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Credentials missing */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Credentials wrong */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Unknown, expired, or not offered by this server */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Too many attempts (Retry-After) */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    adminDeleteBucket: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Bucket id, `[A-Za-z0-9][A-Za-z0-9_-]{0,63}` */
                sid: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Deleted */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Malformed request, id or body */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Credentials missing */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Credentials wrong */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Unknown, expired, or not offered by this server */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Too many attempts (Retry-After) */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Busy or the store does not answer (Retry-After) */
            503: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    getManageState: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Bucket id, `[A-Za-z0-9][A-Za-z0-9_-]{0,63}` */
                sid: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The state */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ManageState"];
                };
            };
            /** @description Malformed request, id or body */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Credentials missing */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Credentials wrong */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    issueManageLink: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Bucket id, `[A-Za-z0-9][A-Za-z0-9_-]{0,63}` */
                sid: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The new secret */
            201: {
                headers: {
                    /** @description The manage link (also in the body) */
                    "X-Manage-Url"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ManageLink"];
                };
            };
            /** @description Malformed request, id or body */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Credentials wrong */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Unknown, expired, or not offered by this server */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    deleteManagedBucket: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Bucket id, `[A-Za-z0-9][A-Za-z0-9_-]{0,63}` */
                sid: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Deleted */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Malformed request, id or body */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Credentials missing */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Credentials wrong */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Unknown, expired, or not offered by this server */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Busy or the store does not answer (Retry-After) */
            503: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    editBucket: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Bucket id, `[A-Za-z0-9][A-Za-z0-9_-]{0,63}` */
                sid: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ManageEdit"];
            };
        };
        responses: {
            /** @description The state after the change */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ManageState"];
                };
            };
            /** @description Malformed request, id or body */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Credentials missing */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Credentials wrong */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Unknown, expired, or not offered by this server */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Too many attempts (Retry-After) */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Busy or the store does not answer (Retry-After) */
            503: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    deleteManagedFile: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Bucket id, `[A-Za-z0-9][A-Za-z0-9_-]{0,63}` */
                sid: string;
                /** @description File key within the bucket */
                key: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Deleted */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Malformed request, id or body */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Credentials missing */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Credentials wrong */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Unknown, expired, or not offered by this server */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Busy or the store does not answer (Retry-After) */
            503: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    mailShareLink: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Bucket id, `[A-Za-z0-9][A-Za-z0-9_-]{0,63}` */
                sid: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ManageMail"];
            };
        };
        responses: {
            /** @description Queued */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MailQueued"];
                };
            };
            /** @description Malformed request, id or body */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Credentials missing */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Credentials wrong */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Unknown, expired, or not offered by this server */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Too many attempts (Retry-After) */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    createUploadRequest: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RequestCreate"];
            };
        };
        responses: {
            /** @description The request and its links */
            201: {
                headers: {
                    /** @description The manage link (also in the body) */
                    "X-Manage-Url"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RequestMade"];
                };
            };
            /** @description Malformed request, id or body */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Credentials missing */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Credentials wrong */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Too many attempts (Retry-After) */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Busy or the store does not answer (Retry-After) */
            503: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    getUploadRequest: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Bucket id, `[A-Za-z0-9][A-Za-z0-9_-]{0,63}` */
                sid: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The request */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RequestInfo"];
                };
            };
            /** @description Malformed request, id or body */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Credentials missing */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Credentials wrong */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Unknown, expired, or not offered by this server */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Gone */
            410: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    closeUploadRequest: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Bucket id, `[A-Za-z0-9][A-Za-z0-9_-]{0,63}` */
                sid: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Closed */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Malformed request, id or body */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Credentials missing */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Credentials wrong */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Unknown, expired, or not offered by this server */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Busy or the store does not answer (Retry-After) */
            503: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    createDirectUpload: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["DirectCreate"];
            };
        };
        responses: {
            /** @description The plan */
            201: {
                headers: {
                    /** @description The upload token of the bucket this creation took (its first file only) */
                    "X-Bucket-Token"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DirectCreated"];
                };
            };
            /** @description Malformed request, id or body */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Credentials missing */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Credentials wrong */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Unknown, expired, or not offered by this server */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Too many attempts (Retry-After) */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Busy or the store does not answer (Retry-After) */
            503: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    getDirectUpload: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description A file or upload id, `{sid}++{key}` */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The status */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DirectStatus"];
                };
            };
            /** @description Malformed request, id or body */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Credentials missing */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Credentials wrong */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Unknown, expired, or not offered by this server */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    abortDirectUpload: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description A file or upload id, `{sid}++{key}` */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Abandoned */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Malformed request, id or body */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Credentials missing */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Credentials wrong */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Unknown, expired, or not offered by this server */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Not allowed on this resource */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    signDirectParts: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description A file or upload id, `{sid}++{key}` */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["DirectPartsRequest"];
            };
        };
        responses: {
            /** @description The URLs */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DirectParts"];
                };
            };
            /** @description Malformed request, id or body */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Credentials missing */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Credentials wrong */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Unknown, expired, or not offered by this server */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    completeDirectUpload: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description A file or upload id, `{sid}++{key}` */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The file */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PublicFile"];
                };
            };
            /** @description Malformed request, id or body */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Credentials missing */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Credentials wrong */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Unknown, expired, or not offered by this server */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    getOpenApi: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OpenAPI 3.1 */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": Record<string, never>;
                };
            };
        };
    };
    getHealth: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Healthy */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Health"];
                };
            };
            /** @description The store does not answer, or the server is shutting down */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Health"];
                };
            };
        };
    };
}
