-- 0003: each account's signed device list (identity.IssueDeviceList;
-- docs/SECURITY.md, "Device lists"). The relay keeps the newest; devices it does
-- not list cannot register, devices it revokes are refused.

ALTER TABLE accounts ADD COLUMN device_list BLOB;
ALTER TABLE accounts ADD COLUMN device_list_version INTEGER NOT NULL DEFAULT 0;

-- When each device last authenticated, for its account's own device list (Unix
-- milliseconds; 0 before this column existed).
ALTER TABLE devices ADD COLUMN last_seen INTEGER NOT NULL DEFAULT 0;
