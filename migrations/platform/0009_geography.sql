-- Bangladesh's administrative divisions and districts (English names as the BTRC uses them, Bangla names
-- for the divisions), so customers' addresses are picked from lists and the BTRC report groups them.
CREATE TABLE platform.geo_divisions (
    id integer PRIMARY KEY,
    name text NOT NULL UNIQUE,
    name_bn text
);
CREATE TABLE platform.geo_districts (
    id integer PRIMARY KEY,
    division_id integer NOT NULL REFERENCES platform.geo_divisions (id),
    name text NOT NULL UNIQUE
);
CREATE INDEX geo_districts_division ON platform.geo_districts (division_id);

INSERT INTO platform.geo_divisions (id, name, name_bn) VALUES
    (1, 'Barishal', 'বরিশাল'), (2, 'Chattogram', 'চট্টগ্রাম'), (3, 'Dhaka', 'ঢাকা'), (4, 'Khulna', 'খুলনা'),
    (5, 'Mymensingh', 'ময়মনসিংহ'), (6, 'Rajshahi', 'রাজশাহী'), (7, 'Rangpur', 'রংপুর'), (8, 'Sylhet', 'সিলেট');

INSERT INTO platform.geo_districts (id, division_id, name) VALUES
    (101, 1, 'Barguna'), (102, 1, 'Barishal'), (103, 1, 'Bhola'), (104, 1, 'Jhalokati'), (105, 1, 'Patuakhali'), (106, 1, 'Pirojpur'),
    (201, 2, 'Bandarban'), (202, 2, 'Brahmanbaria'), (203, 2, 'Chandpur'), (204, 2, 'Chattogram'), (205, 2, 'Cox''s Bazar'),
    (206, 2, 'Cumilla'), (207, 2, 'Feni'), (208, 2, 'Khagrachhari'), (209, 2, 'Lakshmipur'), (210, 2, 'Noakhali'), (211, 2, 'Rangamati'),
    (301, 3, 'Dhaka'), (302, 3, 'Faridpur'), (303, 3, 'Gazipur'), (304, 3, 'Gopalganj'), (305, 3, 'Kishoreganj'), (306, 3, 'Madaripur'),
    (307, 3, 'Manikganj'), (308, 3, 'Munshiganj'), (309, 3, 'Narayanganj'), (310, 3, 'Narsingdi'), (311, 3, 'Rajbari'),
    (312, 3, 'Shariatpur'), (313, 3, 'Tangail'),
    (401, 4, 'Bagerhat'), (402, 4, 'Chuadanga'), (403, 4, 'Jashore'), (404, 4, 'Jhenaidah'), (405, 4, 'Khulna'), (406, 4, 'Kushtia'),
    (407, 4, 'Magura'), (408, 4, 'Meherpur'), (409, 4, 'Narail'), (410, 4, 'Satkhira'),
    (501, 5, 'Jamalpur'), (502, 5, 'Mymensingh'), (503, 5, 'Netrokona'), (504, 5, 'Sherpur'),
    (601, 6, 'Bogura'), (602, 6, 'Chapainawabganj'), (603, 6, 'Joypurhat'), (604, 6, 'Naogaon'), (605, 6, 'Natore'), (606, 6, 'Pabna'),
    (607, 6, 'Rajshahi'), (608, 6, 'Sirajganj'),
    (701, 7, 'Dinajpur'), (702, 7, 'Gaibandha'), (703, 7, 'Kurigram'), (704, 7, 'Lalmonirhat'), (705, 7, 'Nilphamari'),
    (706, 7, 'Panchagarh'), (707, 7, 'Rangpur'), (708, 7, 'Thakurgaon'),
    (801, 8, 'Habiganj'), (802, 8, 'Moulvibazar'), (803, 8, 'Sunamganj'), (804, 8, 'Sylhet');

GRANT SELECT ON platform.geo_divisions, platform.geo_districts TO uplink_tenants;
